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
import { PATTERN } from './bench-upstream.js';
import { openComparison, timedDownload, timedUpload } from './comparison.js';
import { startEdgeStack } from './edge-stack.js';
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
const comparison = await openComparison(stack);
const { session, raw } = comparison;
const uploadBody = new Blob(Array.from({ length: mib }, () => PATTERN));

const transfers: [string, () => Promise<number>][] = [
  ['raw download from memory', () => raw.download(bytes)],
  ['raw download carrying the upstream', () => raw.upstreamDownload(bytes)],
  [
    'PeerFetch download via the edge',
    () => timedDownload(session.fetch, `/up/bytes?n=${bytes}`, bytes),
  ],
  ['raw upload into memory', () => raw.upload(bytes)],
  ['raw upload forwarded to the upstream', () => raw.upstreamUpload(bytes)],
  ['PeerFetch upload via the edge', () => timedUpload(session.fetch, '/up/upload', uploadBody)],
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
  await comparison.close();
  await stack.stop();
}
console.log(`${mib} MiB each; datagrams counted in both directions:`);
for (const [name, results] of lines) console.log(`${name}:\n  ${results.join('\n  ')}`);
process.exit(0);
