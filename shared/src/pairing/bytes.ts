/** Byte helpers for the pairing and authentication messages. */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** LEB128 length prefix, as CPace's prepend_len. */
export function prependLength(data: Uint8Array): Uint8Array {
  const length: number[] = [];
  let remaining = data.byteLength;
  do {
    let byte = remaining & 0x7f;
    remaining >>>= 7;
    if (remaining > 0) byte |= 0x80;
    length.push(byte);
  } while (remaining > 0);
  return concatBytes(Uint8Array.from(length), data);
}

/** CPace's prefix_free_cat: every part with its length prepended, so no two inputs collide. */
export function prefixFreeCat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts.map(prependLength));
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Compares in time that depends only on the length, for secrets and tags. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
