/**
 * How 64 requests in flight travel: every message the client sends and receives during a
 * burst of small GETs, timed. With BATCH the 64 move as waves: the client sends a wave,
 * waits while the edge answers it, then answers that wave with the next. The medians of
 * the two waits say which side holds each wave longer; the time inside `send` is how long
 * this side's JavaScript was blocked handing messages to wrtc.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/message-trace.ts [--requests 2000] [--print 20]
 */
import { parseArgs } from 'node:util';
import { burst } from './concurrency.js';
import { startEdgeStack } from './edge-stack.js';
import { summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    print: { type: 'string', default: '20' },
  },
});
const requests = Number(values.requests);

interface Event {
  at: number;
  kind: 'sent' | 'received';
  bytes: number;
}

const stack = await startEdgeStack();
try {
  const session = await stack.session();
  await burst(session, requests, 64); // warm-up
  const channel = (session.connection as unknown as { dataChannel: RTCDataChannel }).dataChannel;
  const events: Event[] = [];
  let blockedMs = 0;
  const send = channel.send.bind(channel) as (data: Uint8Array) => void;
  (channel as unknown as { send: (data: Uint8Array) => void }).send = (data) => {
    const at = performance.now();
    send(data);
    blockedMs += performance.now() - at;
    events.push({ at, kind: 'sent', bytes: data.byteLength });
  };
  channel.addEventListener('message', (event) => {
    events.push({ at: performance.now(), kind: 'received', bytes: event.data.byteLength });
  });
  const started = performance.now();
  const rate = await burst(session, requests, 64);
  const ms = performance.now() - started;
  // Edge turnaround: a send until the next message back; client turnaround: a message
  // received until this side's next send.
  const edgeWaits: number[] = [];
  const clientWaits: number[] = [];
  for (let i = 1; i < events.length; i++) {
    const [before, after] = [events[i - 1]!, events[i]!];
    if (before.kind === after.kind) continue;
    (before.kind === 'sent' ? edgeWaits : clientWaits).push(after.at - before.at);
  }
  const count = (kind: Event['kind']) => events.filter((e) => e.kind === kind).length;
  console.log(
    `${requests} GETs, 64 in flight: ${rate.toFixed(0)} req/s; ${count('sent')} messages sent, ${count('received')} received; ` +
      `blocked in send ${blockedMs.toFixed(0)} of ${ms.toFixed(0)} ms`,
  );
  console.log(
    `median wait for the edge after a send ${summarize(edgeWaits).median.toFixed(1)} ms; ` +
      `for this side after a message ${summarize(clientWaits).median.toFixed(1)} ms`,
  );
  for (const event of events.slice(0, Number(values.print))) {
    console.log(
      `  ${(event.at - started).toFixed(1).padStart(7)} ms  ${event.kind.padEnd(8)} ${event.bytes} B`,
    );
  }
  await session.close();
} finally {
  await stack.stop();
}
process.exit(0);
