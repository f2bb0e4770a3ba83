import type { BodySource } from '../session/body-source.js';
import type { HeaderList } from '../wire/heads.js';
import { headerListOf } from '../wire/heads.js';

/**
 * The header fields a request travels with. A `Request` never lists `content-length`, so
 * the length of a body known up front (bytes, strings, URLSearchParams, serialized
 * FormData, Blobs, a stream whose caller declared it) is added here: the edge then forwards
 * it with Content-Length rather than chunked, which many device APIs insist on, and can
 * refuse an oversized body before reading it. `acceptEncoding`, when given, is sent unless
 * the caller chose its own, as a browser's fetch() does for the codings it decodes.
 */
export function requestHeaderList(
  headers: Headers,
  body: BodySource,
  acceptEncoding: string | undefined,
): HeaderList {
  const list = headerListOf(headers).filter(([name]) => name !== 'content-length');
  const length = knownLength(body);
  if (length !== undefined) list.push(['content-length', String(length)]);
  if (acceptEncoding && !headers.has('accept-encoding')) {
    list.push(['accept-encoding', acceptEncoding]);
  }
  return list;
}

function knownLength(body: BodySource): number | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'bytes':
      return body.bytes.byteLength;
    case 'stream':
      return body.length;
  }
}
