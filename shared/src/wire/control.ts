import { ProtocolError, type ProtocolErrorCode } from '../errors.js';
import { isPlainObject, packValue, unpackValue } from './msgpack.js';

/** The HELLO payload each side sends first. */
export interface Hello {
  /** Protocol versions the sender speaks. */
  versions: number[];
  /** Largest frame the sender accepts. */
  maxFrameSize: number;
  /** Body bytes the sender accepts per ticket before it grants more. */
  window: number;
  /** Free-form name and version of the implementation, for logs. */
  agent?: string;
  /** True when the sender accepts BATCH frames (several frames in one message). */
  batch?: boolean;
  /** The version of the WebSocket extension the sender speaks (PROTOCOL.md §12), if any. */
  websocket?: number;
}

/** Payload of ERROR, GOAWAY and CANCEL frames. */
export interface Reason {
  code: string;
  message: string;
}

export function encodeHello(hello: Hello): Uint8Array {
  return packValue(hello);
}

export function decodeHello(bytes: Uint8Array): Hello {
  const value = unpackValue(bytes, 'malformed-frame', 'HELLO');
  if (!isPlainObject(value)) throw malformed('HELLO is not a map');
  const { versions, maxFrameSize, window, agent, batch, websocket } = value;
  if (!Array.isArray(versions) || versions.length === 0 || !versions.every(isUint32)) {
    throw malformed('HELLO versions must be a non-empty list of integers');
  }
  if (!isUint32(maxFrameSize) || !isUint32(window) || window === 0) {
    throw malformed('HELLO maxFrameSize and window must be positive 32-bit integers');
  }
  if (agent !== undefined && typeof agent !== 'string')
    throw malformed('HELLO agent must be a string');
  if (batch !== undefined && typeof batch !== 'boolean')
    throw malformed('HELLO batch must be a boolean');
  if (websocket !== undefined && (!isUint32(websocket) || websocket === 0))
    throw malformed('HELLO websocket must be a positive integer');
  return {
    versions,
    maxFrameSize,
    window,
    ...(agent === undefined ? {} : { agent }),
    ...(batch === undefined ? {} : { batch }),
    ...(websocket === undefined ? {} : { websocket }),
  };
}

export function encodeReason(reason: Reason): Uint8Array {
  return packValue(reason);
}

/** Decodes an ERROR, GOAWAY or CANCEL payload; an empty payload means "no reason given". */
export function decodeReason(bytes: Uint8Array): Reason {
  if (bytes.byteLength === 0) return { code: 'none', message: '' };
  const value = unpackValue(bytes, 'malformed-frame', 'reason');
  if (
    !isPlainObject(value) ||
    typeof value.code !== 'string' ||
    typeof value.message !== 'string'
  ) {
    throw malformed('reason must be a map with string code and message');
  }
  return { code: value.code, message: value.message };
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function malformed(message: string, code: ProtocolErrorCode = 'malformed-frame'): ProtocolError {
  return new ProtocolError(code, message);
}
