/**
 * A byte range of a file as a readable byte stream. A reader that brings its own buffer
 * (a BYOB reader, as the session's outgoing message uses) has the file read straight into
 * it, so serving a large file allocates nothing per read: a fresh buffer per read left
 * garbage that cost V8 a full collection every few MiB (docs/PERFORMANCE.md#why-reused-buffers).
 * Other readers get chunks of READ_CHUNK_BYTES. Bytes are read only as the reader asks, and
 * cancelling closes the file.
 */
import { type FileHandle, open } from 'node:fs/promises';

/** Read size for readers without their own buffer: large reads mean few, large frames. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** Bytes `start` to `end` (inclusive) of the file at `path`. */
export function fileStream(path: string, start: number, end: number): ReadableStream<Uint8Array> {
  let file: FileHandle | undefined;
  let position = start;
  const closeFile = () => {
    const closing = file?.close();
    file = undefined;
    return closing?.catch(() => {});
  };
  return new ReadableStream({
    type: 'bytes',
    autoAllocateChunkSize: READ_CHUNK_BYTES,
    async start() {
      file = await open(path, 'r');
    },
    async pull(controller) {
      // With autoAllocateChunkSize every pull has a request, the reader's buffer or one made for it.
      const request = controller.byobRequest!;
      const view = request.view!;
      const wanted = Math.min(view.byteLength, end + 1 - position);
      let bytesRead: number;
      try {
        ({ bytesRead } = await file!.read(view as Uint8Array, 0, wanted, position));
        if (bytesRead === 0 && wanted > 0) {
          throw new Error(
            `${path} ended ${end + 1 - position} bytes early: it shrank while being read`,
          );
        }
        position += bytesRead;
      } catch (error) {
        await closeFile();
        throw error;
      }
      request.respond(bytesRead);
      if (position > end) {
        // Closed in the same turn as the last bytes: a BYOB read made after them must find
        // the stream closed, not wait on a pull that never comes.
        controller.close();
        await closeFile();
      }
    },
    async cancel() {
      await closeFile();
    },
  });
}
