/**
 * `peerfetch fetch -o FILE` on a terminal: a progress bar on stderr, as curl shows one, so a
 * large download is not a silent wait. Bytes pass through unchanged.
 */
import { Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import prettyBytes from 'pretty-bytes';

/** Redraws at most this often; a terminal cannot show more and each redraw costs a write. */
const REDRAW_MS = 100;

/**
 * A pass-through stream that draws `received of total` on `terminal`; `total` is the answer's
 * content-length, or undefined when the device streams without one (then no bar, just bytes).
 */
export function downloadProgress(
  terminal: NodeJS.WriteStream,
  total: number | undefined,
): Transform {
  const known = total !== undefined && total > 0;
  const bar = new SingleBar({
    stream: terminal,
    format: known
      ? '{bar} {percentage}% | {done} of {size} | {rate}/s'
      : 'received {done} | {rate}/s',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    fps: 1000 / REDRAW_MS,
    // cli-progress draws only to a TTY by default; the caller already decided it is one.
    noTTYOutput: false,
  });
  const started = Date.now();
  let received = 0;
  const payload = () => ({
    done: prettyBytes(received),
    size: known ? prettyBytes(total) : '',
    rate: prettyBytes(received / Math.max((Date.now() - started) / 1000, 0.001)),
  });
  bar.start(known ? total : 1, 0, payload());
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      bar.update(known ? received : 0, payload());
      done(null, chunk);
    },
    flush(done) {
      bar.update(known ? received : 0, payload());
      bar.stop();
      done();
    },
    destroy(error, done) {
      bar.stop();
      done(error);
    },
  });
}
