// The wire encoders are internal to the package, so they come from its sources. They are pure
// functions: a copy of them beside the built package (tsx reads `dist`) changes nothing.
import { PROTOCOL_VERSIONS } from '../src/constants.js';
import { encodeHello, encodeReason, type Hello } from '../src/wire/control.js';
import {
  decodeBatch,
  decodeFrame,
  encodeFrame,
  encodeUint32,
  type Frame,
} from '../src/wire/frame.js';
import { FrameFlag, FrameType } from '../src/wire/frame-types.js';
import {
  encodeRequestHead,
  encodeResponseHead,
  type RequestHead,
  type ResponseHead,
} from '../src/wire/heads.js';

/** The frames one message carries: the message itself, or the frames of its BATCH. */
export function framesOf(message: Uint8Array, maxFrameSize = 1 << 30): Frame[] {
  const frame = decodeFrame(message, maxFrameSize);
  return frame.type === FrameType.Batch ? [...decodeBatch(frame.payload, maxFrameSize)] : [frame];
}

/**
 * Builders for raw frames, for tests that play a peer by hand (including a misbehaving one).
 */
export const rawFrames = {
  hello(overrides: Partial<Hello> = {}): Uint8Array<ArrayBuffer> {
    const hello: Hello = {
      versions: [...PROTOCOL_VERSIONS],
      maxFrameSize: 256 * 1024,
      window: 1024 * 1024,
      ...overrides,
    };
    return encodeFrame(FrameType.Hello, 0, 0, encodeHello(hello));
  },
  request(
    ticket: number,
    head: RequestHead,
    body = new Uint8Array(),
    end = true,
  ): Uint8Array<ArrayBuffer> {
    const encoded = encodeRequestHead(head);
    return encodeFrame(
      FrameType.Request,
      end ? FrameFlag.End : 0,
      ticket,
      encodeUint32(encoded.byteLength),
      encoded,
      body,
    );
  },
  response(
    ticket: number,
    head: ResponseHead,
    body = new Uint8Array(),
    end = true,
  ): Uint8Array<ArrayBuffer> {
    const encoded = encodeResponseHead(head);
    return encodeFrame(
      FrameType.Response,
      end ? FrameFlag.End : 0,
      ticket,
      encodeUint32(encoded.byteLength),
      encoded,
      body,
    );
  },
  data(ticket: number, body: Uint8Array, end = false): Uint8Array<ArrayBuffer> {
    return encodeFrame(FrameType.Data, end ? FrameFlag.End : 0, ticket, body);
  },
  credit(ticket: number, bytes: number): Uint8Array<ArrayBuffer> {
    return encodeFrame(FrameType.Credit, 0, ticket, encodeUint32(bytes));
  },
  cancel(ticket: number, code = 'cancelled', message = ''): Uint8Array<ArrayBuffer> {
    return encodeFrame(FrameType.Cancel, 0, ticket, encodeReason({ code, message }));
  },
  ping(id: number): Uint8Array<ArrayBuffer> {
    return encodeFrame(FrameType.Ping, 0, 0, encodeUint32(id));
  },
  /** Frames packed into one BATCH message, each after its u32 length. */
  batch(...frames: Uint8Array[]): Uint8Array<ArrayBuffer> {
    const parts = frames.flatMap((frame) => [encodeUint32(frame.byteLength), frame]);
    return encodeFrame(FrameType.Batch, 0, 0, ...parts);
  },
  goAway(message = ''): Uint8Array<ArrayBuffer> {
    return encodeFrame(FrameType.GoAway, 0, 0, encodeReason({ code: 'closing', message }));
  },
};
