/**
 * Bounds a streamed request body: counts bytes as they pass and fails the stream once the
 * limit is crossed, so an oversized upload is refused without being buffered.
 */

/** Thrown into the body stream when it grows past the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'PeerFetchBodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Passes `body` through, erroring with BodyTooLargeError after `limit` bytes. */
export function limitBody(
  body: ReadableStream<Uint8Array>,
  limit: number,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) controller.error(new BodyTooLargeError(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/** Finds a BodyTooLargeError anywhere in an error's `cause` chain. */
export function isBodyTooLarge(error: unknown): boolean {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as Error).name === 'PeerFetchBodyTooLargeError') return true;
  }
  return false;
}
