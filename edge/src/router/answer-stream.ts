/**
 * An upstream's streamed answer as a readable byte stream. The session's outgoing message
 * reads it with its own reused buffers (a BYOB reader), and each socket chunk is copied
 * straight into one, so no chunk outlives the turn it arrived in. `Readable.toWeb` instead
 * copied every chunk into a fresh buffer that waited in the stream for the peer's credit;
 * against a slow reader that garbage held the edge's memory peak 7–11 MiB higher, at the
 * same rate and CPU per MiB (docs/PERFORMANCE.md#why-a-byte-stream-for-upstream-answers).
 * The socket is paused once its Readable's high-water mark is queued, so a slow reader stops
 * the upstream.
 */
import type { IncomingMessage } from 'node:http';

/** The upstream's connection ended before all the bytes its head announced. */
export class CutShortError extends Error {
  constructor() {
    super('closed before the end of its answer');
  }
}

/**
 * Calls `cutShort` once if the answer's connection is lost before its end: Node reports that
 * as an error (ECONNRESET) or as a close without the message complete.
 */
export function onCutShort(message: IncomingMessage, cutShort: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    cutShort();
  };
  message.once('error', once);
  message.once('close', () => {
    if (!message.complete) once();
  });
}

/** Buffer size for readers that bring none (a frame's worth). */
const CHUNK_BYTES = 256 * 1024;

/** The answer's body from here on; `arrived` holds bytes already read from it, sent first. */
export function answerStream(
  message: IncomingMessage,
  arrived: readonly Buffer[] = [],
): ReadableStream<Uint8Array> {
  const queue: Buffer[] = [...arrived];
  let queued = arrived.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  let ended = false;
  let failed: Error | undefined;
  let controller!: ReadableByteStreamController;

  /** Copies what is queued into the waiting read, if any; closes after the last bytes. */
  const serve = () => {
    const request = controller.byobRequest;
    if (!request || failed) return;
    if (queued === 0) {
      if (ended) {
        controller.close();
        request.respond(0);
      }
      return;
    }
    const view = request.view as Uint8Array;
    let filled = 0;
    while (queue.length > 0 && filled < view.byteLength) {
      const chunk = queue[0]!;
      const n = Math.min(chunk.byteLength, view.byteLength - filled);
      view.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), filled);
      filled += n;
      if (n === chunk.byteLength) queue.shift();
      else queue[0] = chunk.subarray(n);
    }
    queued -= filled;
    request.respond(filled);
  };

  return new ReadableStream({
    type: 'bytes',
    autoAllocateChunkSize: CHUNK_BYTES,
    start(c) {
      controller = c;
      message.on('data', (chunk: Buffer) => {
        queue.push(chunk);
        queued += chunk.byteLength;
        serve();
        if (queued >= message.readableHighWaterMark) message.pause();
      });
      message.once('end', () => {
        ended = true;
        serve();
      });
      onCutShort(message, () => {
        if (ended) return;
        failed = new CutShortError();
        queue.length = 0;
        queued = 0;
        try {
          controller.error(failed);
        } catch {
          // Already cancelled.
        }
      });
    },
    pull() {
      serve();
      if (!ended && queued < message.readableHighWaterMark) message.resume();
    },
    cancel(reason) {
      message.destroy(reason instanceof Error ? reason : undefined);
    },
  });
}
