import {
  BATCH_ENTRY_PREFIX_SIZE,
  FRAME_HEADER_SIZE,
  HEAD_LENGTH_SIZE,
  MAX_CONTROL_PAYLOAD,
  MAX_HEAD_SIZE,
} from '../constants.js';
import { ProtocolError } from '../errors.js';
import {
  FrameFlag,
  FrameType,
  isFrameType,
  KNOWN_FLAGS,
  SESSION_FRAME_TYPES,
} from './frame-types.js';

/** A decoded frame. `payload` is a view into the received message, not a copy. */
export interface Frame {
  type: FrameType;
  flags: number;
  ticket: number;
  payload: Uint8Array;
}

/** Largest ticket id: ticket ids are unsigned 32-bit. */
export const MAX_TICKET_ID = 0xffff_ffff;

/** Frame types whose payload has a fixed size, and that size. */
const FIXED_PAYLOAD_SIZE: Partial<Record<FrameType, number>> = {
  [FrameType.Ping]: 4,
  [FrameType.Pong]: 4,
  [FrameType.Credit]: 4,
};

const CONTROL_TYPES: ReadonlySet<FrameType> = new Set([
  FrameType.Hello,
  FrameType.Auth,
  FrameType.Error,
  FrameType.GoAway,
  FrameType.Cancel,
]);

const MESSAGE_TYPES: ReadonlySet<FrameType> = new Set([
  FrameType.Request,
  FrameType.WebSocket,
  FrameType.Response,
  FrameType.Data,
]);

/** Encodes one frame: header followed by the concatenated payload parts, in one buffer. */
export function encodeFrame(
  type: FrameType,
  flags: number,
  ticket: number,
  ...parts: Uint8Array[]
): Uint8Array<ArrayBuffer> {
  return encodeFrameInto(new Uint8Array(frameSize(parts)), type, flags, ticket, ...parts);
}

/** Bytes of the frame that carries `parts` as its payload. */
export function frameSize(parts: readonly Uint8Array[]): number {
  let size = FRAME_HEADER_SIZE;
  for (const part of parts) size += part.byteLength;
  return size;
}

/**
 * Encodes one frame at the start of `buffer` (at least {@link frameSize} bytes) and returns
 * a view of exactly the frame. For a sender that reuses one buffer: channels copy on send.
 */
export function encodeFrameInto(
  buffer: Uint8Array<ArrayBuffer>,
  type: FrameType,
  flags: number,
  ticket: number,
  ...parts: Uint8Array[]
): Uint8Array<ArrayBuffer> {
  const frame = buffer.subarray(0, frameSize(parts));
  frame[0] = type;
  frame[1] = flags;
  new DataView(frame.buffer, frame.byteOffset).setUint32(2, ticket);
  let offset = FRAME_HEADER_SIZE;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.byteLength;
  }
  return frame;
}

/** A 4-byte big-endian unsigned integer, as PING, PONG, CREDIT and head lengths use. */
export function encodeUint32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

export function readUint32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/**
 * Decodes one received message into a frame, checking everything that can be checked
 * without session state. Total: any input yields a frame or throws a ProtocolError.
 */
export function decodeFrame(data: ArrayBuffer | Uint8Array, maxFrameSize: number): Frame {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < FRAME_HEADER_SIZE) {
    throw new ProtocolError(
      'malformed-frame',
      `frame of ${bytes.byteLength} bytes is shorter than its header`,
    );
  }
  if (bytes.byteLength > maxFrameSize) {
    throw new ProtocolError(
      'frame-too-large',
      `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxFrameSize}`,
    );
  }
  const type = bytes[0]!;
  const flags = bytes[1]!;
  const ticket = readUint32(bytes, 2);
  if (!isFrameType(type)) {
    throw new ProtocolError('unknown-frame-type', `unknown frame type 0x${type.toString(16)}`);
  }
  if ((flags & ~KNOWN_FLAGS) !== 0 || ((flags & FrameFlag.End) !== 0 && !MESSAGE_TYPES.has(type))) {
    throw new ProtocolError(
      'malformed-frame',
      `flags 0x${flags.toString(16)} are not valid on frame type 0x${type.toString(16)}`,
    );
  }
  const isSessionFrame = SESSION_FRAME_TYPES.has(type);
  if (isSessionFrame !== (ticket === 0)) {
    throw new ProtocolError(
      'bad-ticket',
      isSessionFrame
        ? `session frame 0x${type.toString(16)} on ticket ${ticket}`
        : `frame 0x${type.toString(16)} on ticket 0`,
    );
  }
  const payload = bytes.subarray(FRAME_HEADER_SIZE);
  checkPayloadSize(type, payload);
  return { type, flags, ticket, payload };
}

function checkPayloadSize(type: FrameType, payload: Uint8Array): void {
  const fixed = FIXED_PAYLOAD_SIZE[type];
  if (fixed !== undefined && payload.byteLength !== fixed) {
    throw new ProtocolError(
      'malformed-frame',
      `frame type 0x${type.toString(16)} needs a ${fixed}-byte payload, got ${payload.byteLength}`,
    );
  }
  if (CONTROL_TYPES.has(type) && payload.byteLength > MAX_CONTROL_PAYLOAD) {
    throw new ProtocolError(
      'frame-too-large',
      `control payload of ${payload.byteLength} bytes exceeds ${MAX_CONTROL_PAYLOAD}`,
    );
  }
  if (type === FrameType.Request || type === FrameType.Response || type === FrameType.WebSocket) {
    if (payload.byteLength < HEAD_LENGTH_SIZE) {
      throw new ProtocolError('malformed-frame', 'message frame is too short for its head length');
    }
    const headLength = readUint32(payload);
    if (headLength > MAX_HEAD_SIZE || headLength > payload.byteLength - HEAD_LENGTH_SIZE) {
      throw new ProtocolError(
        'malformed-frame',
        `head length ${headLength} does not fit the frame`,
      );
    }
  }
}

/** Splits a REQUEST, WEBSOCKET or RESPONSE payload into its encoded head and its first body bytes. */
export function splitMessagePayload(payload: Uint8Array): { head: Uint8Array; body: Uint8Array } {
  const headLength = readUint32(payload);
  const headEnd = HEAD_LENGTH_SIZE + headLength;
  return { head: payload.subarray(HEAD_LENGTH_SIZE, headEnd), body: payload.subarray(headEnd) };
}

/**
 * The frames inside a BATCH payload, each a view into the message and decoded with
 * {@link decodeFrame}, one at a time as they are taken, so that the frames before a bad entry
 * are handled as if they had arrived alone. Total: a bad entry throws a ProtocolError. A
 * BATCH or HELLO inside a BATCH is malformed: batches do not nest, and HELLO must come
 * alone, before any batch.
 */
export function* decodeBatch(payload: Uint8Array, maxFrameSize: number): Generator<Frame> {
  let count = 0;
  let offset = 0;
  while (offset < payload.byteLength) {
    if (payload.byteLength - offset < BATCH_ENTRY_PREFIX_SIZE) {
      throw new ProtocolError('malformed-frame', 'BATCH ends inside an entry length');
    }
    const length = readUint32(payload, offset);
    offset += BATCH_ENTRY_PREFIX_SIZE;
    if (length > payload.byteLength - offset) {
      throw new ProtocolError(
        'malformed-frame',
        `BATCH entry of ${length} bytes overruns the batch`,
      );
    }
    const frame = decodeFrame(payload.subarray(offset, offset + length), maxFrameSize);
    if (frame.type === FrameType.Batch || frame.type === FrameType.Hello) {
      throw new ProtocolError(
        'malformed-frame',
        `frame type 0x${frame.type.toString(16)} inside a BATCH`,
      );
    }
    offset += length;
    count++;
    yield frame;
  }
  if (count === 0) throw new ProtocolError('malformed-frame', 'empty BATCH');
}
