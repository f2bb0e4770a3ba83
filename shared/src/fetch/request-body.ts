import { type BodySource, NO_BODY } from '../session/body-source.js';
import type { PeerFetchInput } from './peer-fetch.js';

/**
 * How a request's body should travel: bytes already in memory go as bytes (a small request
 * fits one frame); streams and Blobs (a phone's video, say) are streamed, never buffered.
 */
export async function requestBodySource(
  request: Request,
  input: PeerFetchInput,
  init: RequestInit | undefined,
): Promise<BodySource> {
  const stream = request.body;
  if (stream === null) return NO_BODY;
  const given = init?.body ?? (input instanceof Request ? input.body : null);
  if (given instanceof ReadableStream)
    return withLength(stream, request.headers.get('content-length'));
  if (typeof Blob !== 'undefined' && given instanceof Blob)
    return { kind: 'stream', stream, length: given.size };
  return { kind: 'bytes', bytes: new Uint8Array(await request.arrayBuffer()) };
}

function withLength(stream: ReadableStream<Uint8Array>, contentLength: string | null): BodySource {
  const length = contentLength === null ? Number.NaN : Number(contentLength);
  return Number.isSafeInteger(length) && length >= 0
    ? { kind: 'stream', stream, length }
    : { kind: 'stream', stream };
}
