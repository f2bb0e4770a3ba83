/** How the API console shows a response body. */
export type BodyView =
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'image'; type: string }
  | { kind: 'hex'; text: string; truncated: boolean }
  | { kind: 'empty' };

/** Bodies larger than this show as hex of their start only. */
export const HEX_PREVIEW_BYTES = 4096;

const TEXT_TYPES = /^(text\/|application\/(xml|javascript|x-www-form-urlencoded|.*\+xml))/;
const JSON_TYPES = /^application\/(json|.*\+json)/;

/** Picks a view for the bytes by their content type, falling back to hex when they are not text. */
export function bodyView(contentType: string | null, bytes: Uint8Array): BodyView {
  if (bytes.byteLength === 0) return { kind: 'empty' };
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('image/')) return { kind: 'image', type };
  if (JSON_TYPES.test(type) || TEXT_TYPES.test(type) || type === '') {
    const text = decodeUtf8(bytes);
    if (text !== undefined) {
      if (JSON_TYPES.test(type) || (type === '' && /^\s*[[{]/.test(text))) {
        try {
          return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
        } catch {
          return { kind: 'text', text };
        }
      }
      return { kind: 'text', text };
    }
  }
  return {
    kind: 'hex',
    text: hexDump(bytes.subarray(0, HEX_PREVIEW_BYTES)),
    truncated: bytes.byteLength > HEX_PREVIEW_BYTES,
  };
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Classic hex dump: offset, 16 bytes in hex, printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const ascii = Array.from(row, (b) =>
      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.',
    ).join('');
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    lines.push(
      `${offset.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`,
    );
  }
  return lines.join('\n');
}

/** Parses "Name: value" lines typed into the console. Throws on a line without a colon. */
export function parseHeaderLines(text: string): [string, string][] {
  const headers: [string, string][] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Header line ${index + 1} needs the form "Name: value".`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return headers;
}
