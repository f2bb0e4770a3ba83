/**
 * A Node Readable as a web ReadableStream, read one chunk per pull through the Readable's
 * async iterator: the source is read only as fast as the DataChannel takes its bytes, and
 * cancelling destroys it. Used instead of `Readable.toWeb`, which served the edge's
 * downloads at about half the rate of a plain stream of the same chunks
 * (docs/PERFORMANCE.md, third session).
 */
import type { Readable } from 'node:stream';

export function webStreamOf(source: Readable): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}
