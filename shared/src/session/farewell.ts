/** The last frames of a session: the ERROR it sends, and recognising the peer's farewell. */

import { encodeReason } from '../wire/control.js';
import { decodeBatch, decodeFrame, encodeFrame } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';

/** True when a message is, or is a BATCH holding, a GOAWAY or an ERROR. */
export function isFarewell(data: unknown, maxFrameSize: number): boolean {
  if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return false;
  try {
    const frame = decodeFrame(data, maxFrameSize);
    const frames =
      frame.type === FrameType.Batch ? decodeBatch(frame.payload, maxFrameSize) : [frame];
    for (const { type } of frames) {
      if (type === FrameType.GoAway || type === FrameType.Error) return true;
    }
  } catch {
    // A malformed message after the end changes nothing.
  }
  return false;
}

export function errorFrame(code: string, message: string): Uint8Array<ArrayBuffer> {
  return encodeFrame(
    FrameType.Error,
    0,
    0,
    encodeReason({ code, message: message.slice(0, 1024) }),
  );
}
