/**
 * Names of files in the media folder. A name is one harmless path segment; a name sent by
 * a client is made into one (sanitizeMediaName) rather than trusted.
 */
import { extname } from 'node:path';

/** Longest file name most file systems allow, in bytes. */
export const MAX_NAME_BYTES = 255;

/** Room kept below MAX_NAME_BYTES for a ` (999)` suffix that makes a name unique. */
const SUFFIX_ROOM_BYTES = 6;

/** Longest extension kept whole when a long name is shortened. */
const MAX_EXTENSION_BYTES = 16;

/** How many ` (n)` variants an upload tries before the name counts as taken. */
export const MAX_NAME_VARIANTS = 999;

/** True for a name that is one harmless path segment (no separators, no dot files). */
export function isSafeMediaName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= MAX_NAME_BYTES &&
    !name.startsWith('.') &&
    !/[/\\\0]/.test(name)
  );
}

/** Longest prefix of `text` within `bytes` UTF-8 bytes, never splitting a character. */
function truncateBytes(text: string, bytes: number): string {
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char) > bytes) break;
    out += char;
  }
  return out;
}

/**
 * A client's file name made safe to create in the media folder, or undefined when nothing
 * usable is left. Unicode NFC (a phone's decomposed accents match the listing); control
 * characters dropped; path separators and characters that FAT/exFAT (a USB stick) refuse
 * become `_`; leading dots and spaces go (no hidden files, no `.` or `..`), as do trailing
 * dots and spaces; long names are cut, keeping the extension, to leave room for a suffix.
 */
export function sanitizeMediaName(raw: string): string | undefined {
  const cleaned = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/u, '')
    .replace(/[.\s]+$/u, '');
  const limit = MAX_NAME_BYTES - SUFFIX_ROOM_BYTES;
  if (Buffer.byteLength(cleaned) <= limit) return cleaned === '' ? undefined : cleaned;
  const ext = extname(cleaned);
  const keepExt = ext !== '' && Buffer.byteLength(ext) <= MAX_EXTENSION_BYTES;
  const stem = keepExt ? cleaned.slice(0, -ext.length) : cleaned;
  const cut = truncateBytes(stem, limit - (keepExt ? Buffer.byteLength(ext) : 0)).replace(
    /[.\s]+$/u,
    '',
  );
  return cut === '' ? undefined : cut + (keepExt ? ext : '');
}

/** `name`, then `name (1).ext`, `name (2).ext`…: the names an upload may take, in order. */
export function* nameVariants(name: string): Generator<string> {
  yield name;
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; n <= MAX_NAME_VARIANTS; n++) yield `${stem} (${n})${ext}`;
}
