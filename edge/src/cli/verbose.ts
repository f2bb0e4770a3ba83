/**
 * `peerfetch fetch -v`: curl's `*` lines on stderr. Which device and the path the bytes
 * took, and how long each step was: connecting, the answer's head, the body.
 */
import { Transform } from 'node:stream';
import { describePathKind } from '@peerfetch/shared';
import prettyBytes from 'pretty-bytes';
import prettyMs from 'pretty-ms';
import type { DeviceConnection } from '../client/connect.js';

const say = (line: string) => process.stderr.write(`* ${line}\n`);

/** Milliseconds since the last call (the first counts from its creation). */
export function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - last;
    last = now;
    return ms;
  };
}

const took = (ms: number) =>
  prettyMs(ms, { millisecondsDecimalDigits: 0, secondsDecimalDigits: 1 });

/** Told once the answer has arrived: ICE may start on a relay and settle on a direct pair. */
export async function tellConnection(connection: DeviceConnection, connectMs: number) {
  const { path, rttMs } = await connection.path();
  const rtt = rttMs === undefined ? '' : `, round trip ${rttMs.toFixed(1)} ms`;
  say(
    `connected to device ${connection.deviceId} in ${took(connectMs)}: ${describePathKind(path).toLowerCase()}${rtt}`,
  );
}

export function tellAnswer(response: Response, headMs: number) {
  say(`${`${response.status} ${response.statusText}`.trimEnd()} in ${took(headMs)}`);
}

/** A pass-through that counts the body's bytes, for the last line. */
export function byteCounter(): { stream: Transform; bytes(): number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

export function tellBody(bytes: number, bodyMs: number) {
  const rate = bytes / Math.max(bodyMs / 1000, 0.001);
  say(`body: ${prettyBytes(bytes)} in ${took(bodyMs)} (${prettyBytes(rate)}/s)`);
}
