import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.js';

/** Length of a pairing key: 256 bits. */
export const PAIRING_KEY_BYTES = 32;

/** A named sub-key of a CPace session key (HKDF-SHA256). */
export function deriveKey(isk: Uint8Array, purpose: string): Uint8Array {
  return hkdf(sha256, isk, undefined, utf8(`peerfetch ${purpose}`), PAIRING_KEY_BYTES);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

/**
 * Turns raw pairing-key bytes into a WebCrypto HMAC key. Non-extractable by default, so a
 * browser keeps it in IndexedDB without the page ever reading the bytes back.
 */
export function importPairingKey(raw: Uint8Array, extractable = false): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    raw as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    extractable,
    ['sign', 'verify'],
  );
}

export async function signWithKey(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data as Uint8Array<ArrayBuffer>));
}

/** Constant-time check of an HMAC tag. */
export function verifyWithKey(key: CryptoKey, tag: Uint8Array, data: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify(
    'HMAC',
    key,
    tag as Uint8Array<ArrayBuffer>,
    data as Uint8Array<ArrayBuffer>,
  );
}
