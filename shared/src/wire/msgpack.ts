import { Decoder, Encoder } from '@msgpack/msgpack';
import { MAX_HEAD_SIZE } from '../constants.js';
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';

// Limits make decoding bounded: no string, array or map can claim more than a head can hold.
const decoder = new Decoder({
  maxStrLength: MAX_HEAD_SIZE,
  maxBinLength: MAX_HEAD_SIZE,
  maxArrayLength: 1024,
  maxMapLength: 64,
  maxExtLength: 0,
});
const encoder = new Encoder({ ignoreUndefined: true });

export function packValue(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes msgpack, turning every decoder failure into a ProtocolError with `code`. */
export function unpackValue(bytes: Uint8Array, code: ProtocolErrorCode, what: string): unknown {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new ProtocolError(code, `${what} is not valid msgpack: ${(error as Error).message}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}
