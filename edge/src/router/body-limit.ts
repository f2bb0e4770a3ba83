/**
 * Bounds a streamed request body: counts bytes as they pass and fails once the limit is
 * crossed, so an oversized upload is refused without being buffered.
 */
import { Readable } from 'node:stream';

/** The error a body fails with when it grows past the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'PeerFetchBodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * The web body as a Node Readable for `pipe` into an upstream request, failing with
 * BodyTooLargeError after `limit` bytes. One chunk is read per `read()`, so the client's
 * upload moves only as fast as the upstream takes it; destroying the Readable cancels the
 * body. (One adapter instead of a TransformStream plus `Readable.fromWeb`: two web-stream
 * hops less per chunk.)
 */
export function limitedReadable(body: ReadableStream<Uint8Array>, limit: number): Readable {
  const reader = body.getReader();
  let seen = 0;
  return new Readable({
    read() {
      reader.read().then(
        ({ done, value }) => {
          if (done) {
            this.push(null);
            return;
          }
          seen += value.byteLength;
          if (seen > limit) this.destroy(new BodyTooLargeError(limit));
          else this.push(value);
        },
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
    destroy(error, callback) {
      // After a normal end the body is already closed and cancelling it does nothing.
      reader.cancel(error ?? undefined).catch(() => {});
      callback(error);
    },
  });
}

/** Finds a BodyTooLargeError anywhere in an error's `cause` chain. */
export function isBodyTooLarge(error: unknown): boolean {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as Error).name === 'PeerFetchBodyTooLargeError') return true;
  }
  return false;
}
