/**
 * Small answers of known length are read whole and sent in one go (cheaper than a stream:
 * docs/PERFORMANCE.md#why-buffered-small-answers), unless they are slow. A drip or a short
 * server-sent event stream with a length would otherwise reach the client all at once at its
 * end, so an answer not complete after a short wait streams from there on.
 */
import type { IncomingMessage } from 'node:http';
import { answerStream, CutShortError, onCutShort } from './answer-stream.js';

/**
 * How long a small answer may take to arrive whole before it streams instead, in ms. A local
 * upstream's 64 KiB arrive within a few ms even on a Raspberry Pi; an answer still coming
 * after this is slow on purpose, and a few ms of first delay do not matter to it.
 */
export const SMALL_ANSWER_WAIT_MS = 40;

/** The whole body if it arrives within `waitMs`; otherwise a stream of it, from its first byte. */
export function readSmallAnswer(
  message: IncomingMessage,
  waitMs = SMALL_ANSWER_WAIT_MS,
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const timer = setTimeout(() => {
      message.off('data', onData);
      message.off('end', onEnd);
      // Attached in the same turn, so the stream sees every byte after those collected.
      resolve(answerStream(message, chunks));
    }, waitMs);
    const onEnd = () => {
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    message.on('data', onData);
    message.once('end', onEnd);
    onCutShort(message, () => {
      clearTimeout(timer);
      reject(new CutShortError());
    });
  });
}
