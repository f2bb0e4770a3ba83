/**
 * CPace (draft-irtf-cfrg-cpace), suite CPACE-RISTR255-SHA512, built on @noble/curves and
 * @noble/hashes. A balanced PAKE: both sides know a short code; each learns a strong shared
 * key only if the other used the same code, and an active attacker gets one guess per run.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, prefixFreeCat, randomBytes, utf8 } from './bytes.js';

type Point = InstanceType<typeof ristretto255.Point>;

export const CPACE_DSI = utf8('CPaceRistretto255');
/** SHA-512's input block size: the generator string pads PRS to fill a whole block. */
const SHA512_BLOCK_BYTES = 128;

export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(
    0,
    SHA512_BLOCK_BYTES - prefixFreeCat(prs).byteLength - prefixFreeCat(CPACE_DSI).byteLength - 1,
  );
  return prefixFreeCat(CPACE_DSI, prs, new Uint8Array(zpad), ci, sid);
}

/**
 * The session's secret generator: SHA-512 of the generator string, mapped to the group with
 * ristretto255's one-way map (RFC 9496 §4.3.4 element derivation).
 */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Point {
  const oneWayMap = ristretto255_hasher.deriveToCurve;
  if (!oneWayMap) throw new Error('@noble/curves lacks the ristretto255 one-way map');
  return oneWayMap(sha512(generatorString(prs, ci, sid)));
}

/** 32 random bytes with the bits above 252 cleared, read little-endian (below the group order). */
export function sampleScalar(): bigint {
  const bytes = randomBytes(32);
  bytes[31]! &= 0x0f;
  const scalar = littleEndianToBigInt(bytes);
  return scalar === 0n ? sampleScalar() : scalar;
}

export function scalarMult(scalar: bigint, generator: Point): Uint8Array {
  return generator.multiply(scalar).toBytes();
}

/** scalar × decode(encoded), or undefined where the encoding is invalid or the result is the identity. */
export function scalarMultVerify(scalar: bigint, encoded: Uint8Array): Uint8Array | undefined {
  let point: Point;
  try {
    point = ristretto255.Point.fromBytes(encoded);
  } catch {
    return undefined;
  }
  if (point.is0()) return undefined;
  const result = point.multiply(scalar);
  return result.is0() ? undefined : result.toBytes();
}

/** MSGa / MSGb: the public share and its associated data, prefix-free. */
export function cpaceMessage(share: Uint8Array, associatedData: Uint8Array): Uint8Array {
  return prefixFreeCat(share, associatedData);
}

/** Splits a CPace message back into share and associated data; undefined if malformed. */
export function parseCpaceMessage(
  message: Uint8Array,
): { share: Uint8Array; associatedData: Uint8Array } | undefined {
  const parts: Uint8Array[] = [];
  let offset = 0;
  while (offset < message.byteLength && parts.length < 2) {
    let length = 0;
    let shift = 0;
    for (;;) {
      if (offset >= message.byteLength || shift > 21) return undefined;
      const byte = message[offset++]!;
      length |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    if (offset + length > message.byteLength) return undefined;
    parts.push(message.subarray(offset, offset + length));
    offset += length;
  }
  if (parts.length !== 2 || offset !== message.byteLength) return undefined;
  return { share: parts[0]!, associatedData: parts[1]! };
}

/** ISK for the initiator/responder flow: the messages in the order they were sent. */
export function intermediateSessionKey(
  sid: Uint8Array,
  k: Uint8Array,
  msgA: Uint8Array,
  msgB: Uint8Array,
): Uint8Array {
  return sha512(
    concatBytes(prefixFreeCat(concatBytes(CPACE_DSI, utf8('_ISK')), sid, k), msgA, msgB),
  );
}

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

export function scalarFromLittleEndian(bytes: Uint8Array): bigint {
  return littleEndianToBigInt(bytes);
}
