/**
 * Content decoding as a browser's fetch() does it: the body the caller reads is decoded,
 * while the headers stay as the server sent them (`content-encoding` and `content-length`
 * describe the bytes on the wire). The edge passes bodies through untouched, so this is
 * the one place a PeerFetch client decodes, with the platform's DecompressionStream.
 */

import type { PeerMessage } from '../session/ticket.js';
import type { HeaderList } from '../wire/heads.js';

/** DecompressionStream formats for the HTTP content codings (RFC 9110 §8.4.1). */
const FORMATS: Record<string, readonly string[]> = {
  gzip: ['gzip'],
  'x-gzip': ['gzip'],
  // HTTP "deflate" is zlib-wrapped, but some servers send raw deflate; browsers take both.
  deflate: ['deflate'],
  // Not every platform's DecompressionStream knows brotli (Node 20 does not).
  br: ['brotli', 'br'],
};

/** The codings this platform can decode, as an Accept-Encoding value. */
export function decodableCodings(): string {
  return Object.keys(FORMATS)
    .filter((coding) => coding !== 'x-gzip' && decoderFor(coding) !== undefined)
    .join(', ');
}

function decoderFor(coding: string): (() => TransformStream<Uint8Array, Uint8Array>) | undefined {
  if (typeof DecompressionStream === 'undefined') return undefined;
  for (const format of FORMATS[coding] ?? []) {
    try {
      new DecompressionStream(format as CompressionFormat);
      return () =>
        new DecompressionStream(format as CompressionFormat) as unknown as TransformStream<
          Uint8Array,
          Uint8Array
        >;
    } catch {
      // This platform lacks the format; try the next name for it.
    }
  }
  return undefined;
}

/** Every `content-encoding` field of a head, joined as one list (undefined when none). */
export function contentEncodingOf(headers: HeaderList): string | undefined {
  const values = headers.filter(([name]) => name === 'content-encoding').map(([, v]) => v);
  return values.length > 0 ? values.join(', ') : undefined;
}

/** The codings of a `content-encoding` value that say anything (not `identity`), in order. */
function codingsOf(contentEncoding: string | undefined): string[] {
  return (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
}

/**
 * Whether a PeerFetch client decodes a body sent with this `content-encoding` (it has codings,
 * and this platform can undo each): a service worker handing such a body on must then drop
 * the headers that describe the encoded bytes, as a browser never decodes its answer again.
 */
export function decodesContentEncoding(contentEncoding: string | undefined): boolean {
  const codings = codingsOf(contentEncoding);
  return codings.length > 0 && codings.every((coding) => decoderFor(coding) !== undefined);
}

/**
 * The peer's body decoded according to `contentEncoding` (codings applied in order, so
 * decoded in reverse), or undefined when it needs no decoding or uses a coding this
 * platform cannot decode: the caller then gets the bytes as they came, with the header
 * saying how.
 */
export function decodedBody(
  peer: Pick<PeerMessage<unknown>, 'body' | 'whole'>,
  contentEncoding: string | undefined,
): ReadableStream<Uint8Array> | undefined {
  // An empty body stays empty, as browsers take it, rather than failing as a truncated stream.
  if (peer.whole?.byteLength === 0 || !decodesContentEncoding(contentEncoding)) return undefined;
  const decoders = codingsOf(contentEncoding).map(decoderFor);
  // A body that came whole with its head has no stream yet: make one only now.
  let decoded = peer.whole ? new Blob([peer.whole as Uint8Array<ArrayBuffer>]).stream() : peer.body;
  for (const make of decoders.reverse()) decoded = decoded.pipeThrough(make!());
  return decoded;
}
