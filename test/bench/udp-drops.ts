/**
 * How many of the WebRTC datagrams does the kernel drop? Both ends of every connection are
 * inside the bench's network namespace, so its UDP counters (/proc/net/snmp6: WebRTC goes over
 * ::1 here) count every datagram received and every one dropped because the receiving
 * socket's buffer was full: the receiving libwebrtc network thread had fallen behind. Each
 * transfer, raw and PeerFetch alike, is reported with its rate, drops and datagrams.
 *
 * A lost datagram costs SCTP a halving of its congestion window, and a lost tail a
 * retransmission timeout: the stalls of 0.1 s to seconds that every path here shows.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/udp-drops.ts [--mib 64] [--repetitions 3]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { PATTERN } from './bench-upstream.js';
import { startEdgeStack } from './edge-stack.js';
import { policyOf } from './node-throughput.js';
import { drain, openRaw, startBenchPeer } from './peer-client.js';
import { MiB, mibPerSecond } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '3' },
  },
});
const mib = Number(values.mib);
const bytes = mib * MiB;

interface UdpCounters {
  received: number;
  dropped: number;
}

/** This namespace's UDP-over-IPv6 counters. */
function udpCounters(): UdpCounters {
  const table = readFileSync('/proc/net/snmp6', 'utf8');
  const counter = (name: string) => {
    const match = new RegExp(`^${name}\\s+(\\d+)$`, 'm').exec(table);
    if (!match) throw new Error(`/proc/net/snmp6 has no ${name}`);
    return Number(match[1]);
  };
  return { received: counter('Udp6InDatagrams'), dropped: counter('Udp6RcvbufErrors') };
}

const stack = await startEdgeStack();
const benchPeer = await startBenchPeer(stack.signaling.port);
const { peer } = await createNodePeer({ port: stack.signaling.port });
const session = await stack.session();
const raw = await openRaw(peer, benchPeer.id, policyOf(session), {
  sources: { upstreamUrl: stack.upstream.url },
});
const uploadBody = new Blob(Array.from({ length: mib }, () => PATTERN));

/** ms taken by `transfer`. */
async function timed(transfer: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await transfer();
  return performance.now() - started;
}

const transfers: [string, () => Promise<number>][] = [
  ['raw download from memory', () => raw.download(bytes)],
  ['raw download carrying the upstream', () => raw.upstreamDownload(bytes)],
  [
    'PeerFetch download via the edge',
    () =>
      timed(async () => {
        const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
        if (received !== bytes) throw new Error(`download: ${received} of ${bytes} bytes`);
      }),
  ],
  ['raw upload into memory', () => raw.upload(bytes)],
  ['raw upload forwarded to the upstream', () => raw.upstreamUpload(bytes)],
  [
    'PeerFetch upload via the edge',
    () =>
      timed(async () => {
        const answer = await session.fetch('/up/upload', { method: 'POST', body: uploadBody });
        const counted = ((await answer.json()) as { bytes: number }).bytes;
        if (counted !== bytes) throw new Error(`upload: the upstream got ${counted} of ${bytes}`);
      }),
  ],
];
const lines = new Map<string, string[]>(transfers.map(([name]) => [name, []]));
try {
  for (let i = 0; i < Number(values.repetitions); i++) {
    for (const [name, transfer] of transfers) {
      const before = udpCounters();
      const ms = await transfer();
      const after = udpCounters();
      const dropped = after.dropped - before.dropped;
      const received = after.received - before.received;
      lines
        .get(name)!
        .push(
          `${mibPerSecond(bytes, ms).toFixed(1)} MiB/s, ${dropped} of ${received + dropped} dropped ` +
            `(${((100 * dropped) / (received + dropped)).toFixed(2)} %)`,
        );
    }
  }
} finally {
  raw.close();
  await session.close();
  peer.destroy();
  await benchPeer.stop();
  await stack.stop();
}
console.log(`${mib} MiB each; datagrams counted in both directions:`);
for (const [name, results] of lines) console.log(`${name}:\n  ${results.join('\n  ')}`);
process.exit(0);
