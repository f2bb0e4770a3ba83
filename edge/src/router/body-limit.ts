/**
 * Bounds a streamed request body: counts bytes as they pass and fails once the limit or the
 * declared length is crossed, so an oversized or lying upload is refused without being
 * buffered.
 */
import { Readable } from 'node:stream';
import { BodyLengthError } from './framing.js';

/** The error a body fails with when it grows past the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'PeerFetchBodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * The web body as a Node Readable for `pipe` into an upstream request, failing with
 * BodyTooLargeError after `limit` bytes and, when the client declared `length`, with
 * BodyLengthError once the body turns out longer or shorter. Bytes past the declared length
 * are never pushed, and the chunk that completes it is held until the body's end is seen, so
 * the upstream never receives a complete body from a client whose framing lied. One chunk is
 * read per `read()`, so the client's upload moves only as fast as the upstream takes it;
 * destroying the Readable cancels the body. (One adapter instead of a TransformStream plus
 * `Readable.fromWeb`: two web-stream hops less per chunk.)
 */
export function limitedReadable(
  body: ReadableStream<Uint8Array>,
  limit: number,
  length?: number,
): Readable {
  const reader = body.getReader();
  let seen = 0;
  const fail = (stream: Readable, error: unknown) =>
    stream.destroy(error instanceof Error ? error : new Error(String(error)));
  /** Pushes `last` and ends once the body's end arrives; anything before it is excess. */
  const endAfter = (stream: Readable, last: Uint8Array, declared: number) => {
    reader.read().then(
      ({ done, value }) => {
        if (done) {
          stream.push(last);
          stream.push(null);
        } else if (value.byteLength === 0) endAfter(stream, last, declared);
        else stream.destroy(new BodyLengthError(declared, 'longer'));
      },
      (error: unknown) => fail(stream, error),
    );
  };
  return new Readable({
    read() {
      reader.read().then(
        ({ done, value }) => {
          if (done) {
            if (length !== undefined && seen < length) {
              this.destroy(new BodyLengthError(length, 'shorter'));
            } else this.push(null);
            return;
          }
          seen += value.byteLength;
          if (length !== undefined && seen >= length) {
            if (seen === length) endAfter(this, value, length);
            else this.destroy(new BodyLengthError(length, 'longer'));
          } else if (seen > limit) this.destroy(new BodyTooLargeError(limit));
          else this.push(value);
        },
        (error: unknown) => fail(this, error),
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
