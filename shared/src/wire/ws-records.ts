/**
 * WebSocket messages inside a WEBSOCKET ticket's bodies (PROTOCOL.md §12): each is a record
 * `u8 opcode | u32 length | payload`, opcodes as in RFC 6455. The bodies are ordinary ticket
 * bodies, so the window and CREDIT of §7 pace them.
 */
import { ProtocolError } from '../errors.js';
import { readUint32 } from './frame.js';

export const WsOpcode = {
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type WsOpcode = (typeof WsOpcode)[keyof typeof WsOpcode];

/** The version of the WebSocket extension this implementation speaks, announced in HELLO. */
export const WEBSOCKET_EXTENSION_VERSION = 1;
/** Largest WebSocket message accepted unless configured otherwise: 16 MiB. */
export const DEFAULT_WS_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Control payloads (close, ping, pong) are at most 125 bytes, as in RFC 6455 §5.5. */
export const MAX_WS_CONTROL_BYTES = 125;
export const WS_RECORD_HEADER_SIZE = 5;

const OPCODES = new Set<number>(Object.values(WsOpcode));

export interface WsRecord {
  opcode: WsOpcode;
  payload: Uint8Array;
}

/** A message over the size limit: the receiver closes with 1009, not a protocol error. */
export class WsMessageTooBigError extends Error {
  override readonly name = 'PeerFetchWsMessageTooBigError';
}

export function encodeWsRecord(opcode: WsOpcode, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const record = new Uint8Array(WS_RECORD_HEADER_SIZE + payload.byteLength);
  record[0] = opcode;
  new DataView(record.buffer).setUint32(1, payload.byteLength);
  record.set(payload, WS_RECORD_HEADER_SIZE);
  return record;
}

/** A close payload: the code (u16) and the UTF-8 reason; empty when there is no code. */
export function encodeClosePayload(code: number | undefined, reason = ''): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const text = new TextEncoder().encode(reason);
  const payload = new Uint8Array(2 + text.byteLength);
  new DataView(payload.buffer).setUint16(0, code);
  payload.set(text, 2);
  return payload;
}

/** Code 1005 ("no status received") for an empty payload, as RFC 6455 §7.1.5 says. */
export function decodeClosePayload(payload: Uint8Array): { code: number; reason: string } {
  if (payload.byteLength === 0) return { code: 1005, reason: '' };
  if (payload.byteLength === 1) throw malformed('close payload of 1 byte');
  const code = new DataView(payload.buffer, payload.byteOffset).getUint16(0);
  const reason = new TextDecoder('utf-8', { fatal: true });
  try {
    return { code, reason: reason.decode(payload.subarray(2)) };
  } catch {
    throw malformed('close reason is not UTF-8');
  }
}

/**
 * Cuts a byte stream into records, however the bytes were split into frames. A record over
 * `maxMessageBytes` throws WsMessageTooBigError as soon as its header is read, before any
 * of it is held; a bad opcode or an oversized control record is a ProtocolError.
 */
export class WsRecordParser {
  readonly #maxMessageBytes: number;
  readonly #header = new Uint8Array(WS_RECORD_HEADER_SIZE);
  #headerFill = 0;
  #opcode: WsOpcode = WsOpcode.Binary;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** True when no record is partly read: the stream may end here. */
  get atBoundary(): boolean {
    return this.#headerFill === 0 && this.#payload === undefined;
  }

  /** The complete records in `chunk` (with what came before it). */
  push(chunk: Uint8Array): WsRecord[] {
    const records: WsRecord[] = [];
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (!this.#payload) {
        const take = Math.min(WS_RECORD_HEADER_SIZE - this.#headerFill, chunk.byteLength - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFill);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < WS_RECORD_HEADER_SIZE) break;
        this.#startPayload();
      }
      const payload = this.#payload!;
      const take = Math.min(payload.byteLength - this.#payloadFill, chunk.byteLength - offset);
      payload.set(chunk.subarray(offset, offset + take), this.#payloadFill);
      this.#payloadFill += take;
      offset += take;
      if (this.#payloadFill === payload.byteLength) {
        records.push({ opcode: this.#opcode, payload });
        this.#payload = undefined;
        this.#headerFill = 0;
        this.#payloadFill = 0;
      }
    }
    return records;
  }

  #startPayload(): void {
    const opcode = this.#header[0]!;
    const length = readUint32(this.#header, 1);
    if (!OPCODES.has(opcode)) throw malformed(`unknown WebSocket opcode 0x${opcode.toString(16)}`);
    const control = opcode >= WsOpcode.Close;
    if (control && length > MAX_WS_CONTROL_BYTES) {
      throw malformed(
        `WebSocket control record of ${length} bytes exceeds ${MAX_WS_CONTROL_BYTES}`,
      );
    }
    if (length > this.#maxMessageBytes) {
      throw new WsMessageTooBigError(
        `WebSocket message of ${length} bytes exceeds the limit of ${this.#maxMessageBytes}`,
      );
    }
    this.#opcode = opcode as WsOpcode;
    this.#payload = new Uint8Array(length);
  }
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('malformed-frame', message);
}
