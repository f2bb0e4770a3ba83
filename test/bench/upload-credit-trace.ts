/**
 * What paces an upload to the edge: the client's side of the credit loop, timed. Every body
 * frame the client hands to its channel and every CREDIT it receives, over 64 MiB uploads
 * through the edge to its HTTP upstream. If the client sends the moment credit arrives, the
 * rate is the edge's: how often its CREDITs come.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/upload-credit-trace.ts [--mib 64] [--repetitions 3]
 */
import { parseArgs } from 'node:util';
import { FrameType, framesOf } from '@peerfetch/shared';
import { startEdgeStack } from './edge-stack.js';
import { MiB, mibPerSecond, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '3' },
  },
});
const bytes = Number(values.mib) * MiB;

interface Sent {
  at: number;
  /** How long `send` held this thread. */
  blockedMs: number;
}

const stack = await startEdgeStack();
try {
  const session = await stack.session();
  const channel = session.connection.dataChannel as unknown as {
    send(data: Uint8Array): void;
    addEventListener(type: 'message', listener: (event: MessageEvent<ArrayBuffer>) => void): void;
  };
  const sent: Sent[] = [];
  const credits: number[] = [];
  const send = channel.send.bind(channel);
  channel.send = (data) => {
    const at = performance.now();
    send(data);
    const carriesBody = framesOf(data).some(
      (f) => f.type === FrameType.Data || f.type === FrameType.Request,
    );
    if (carriesBody) sent.push({ at, blockedMs: performance.now() - at });
  };
  channel.addEventListener('message', (event) => {
    const at = performance.now();
    for (const frame of framesOf(new Uint8Array(event.data)))
      if (frame.type === FrameType.Credit) credits.push(at);
  });
  const body = new Uint8Array(bytes).fill(7);
  for (let i = 0; i < Number(values.repetitions); i++) {
    sent.length = 0;
    credits.length = 0;
    const started = performance.now();
    const response = await session.fetch('/up/upload', { method: 'POST', body });
    if (!response.ok) throw new Error(`upload: status ${response.status}`);
    await response.text();
    const ms = performance.now() - started;
    // For each credit, how long until the client's next body frame left.
    const creditToSend: number[] = [];
    let next = 0;
    for (const at of credits) {
      while (next < sent.length && sent[next]!.at < at) next++;
      if (next < sent.length) creditToSend.push(sent[next]!.at - at);
    }
    const gaps = credits.slice(1).map((at, k) => at - credits[k]!);
    // The k-th CREDIT grants the k-th frame's bytes back (one per 256 KiB frame): its round trip.
    const roundTrips = credits.map((at, k) => at - (sent[k]?.at ?? at));
    const blocked = sent.reduce((sum, s) => sum + s.blockedMs, 0);
    console.log(
      `${mibPerSecond(bytes, ms).toFixed(1)} MiB/s: ${sent.length} body messages (send blocked ` +
        `${blocked.toFixed(0)} of ${ms.toFixed(0)} ms), ${credits.length} CREDITs; credit to the ` +
        `next frame p50 ${percentile(creditToSend, 50).toFixed(2)} ms; between CREDITs p50 ` +
        `${percentile(gaps, 50).toFixed(2)} / p90 ${percentile(gaps, 90).toFixed(2)} ms; a frame ` +
        `to its CREDIT p50 ${percentile(roundTrips, 50).toFixed(2)} ms`,
    );
  }
  await session.close();
} finally {
  await stack.stop();
}
process.exit(0);
