/**
 * Where does the gap to raw come from? 64 MiB each way, alternating, in one run:
 * - download: the raw DataChannel, from memory and carrying the same bytes as PeerFetch (the
 *   bench upstream's, the media file's: `raw-proxy.ts`); PeerFetch from the bench peer (the
 *   same shared session code, no edge, a generated body); PeerFetch from the edge through its
 *   HTTP upstream (`/up/bytes`); PeerFetch from a file the edge serves itself
 *   (`/api/media/...`, no HTTP hop);
 * - upload: the raw DataChannel, into memory and forwarded to the bench upstream; PeerFetch
 *   to the bench peer (no edge); PeerFetch to the edge, which forwards the body to its HTTP
 *   upstream (`/up/upload`);
 * - both: the edge's own HTTP route and device API run by the bench peer instead of the edge
 *   (the same handlers, the same I/O, without the edge's process).
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/upstream-hop.ts [--mib 64] [--repetitions 5]
 */
import { parseArgs } from 'node:util';
import { PATTERN } from './bench-upstream.js';
import { type BenchFetch, openComparison, timedDownload, timedUpload } from './comparison.js';
import { startEdgeStack } from './edge-stack.js';
import { MiB, mibPerSecond, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '5' },
  },
});
const bytes = Number(values.mib) * MiB;
const pattern = Buffer.concat(Array.from({ length: bytes / MiB }, () => PATTERN));
const stack = await startEdgeStack({ mediaFiles: { 'bench.bin': pattern } });
const comparison = await openComparison(stack, { rawFile: 'bench.bin' });
// `direct` also serves the edge's handlers, at `/up` and `/edge` (the stack has media files).
const { session, raw, direct } = comparison;
const speeds: Record<string, number[]> = {};
function record(name: string, ms: number) {
  speeds[name] = [...(speeds[name] ?? []), mibPerSecond(bytes, ms)];
}

const download = (fetch: BenchFetch, path: string) => timedDownload(fetch, path, bytes);
const upload = (fetch: BenchFetch, path: string) => timedUpload(fetch, path, new Blob([pattern]));

/** Each path, run in this order every repetition: its name and one timed transfer in ms. */
const paths: [string, () => Promise<number>][] = [
  ['download: raw', () => raw.download(bytes)],
  ["download: raw, the upstream's bytes", () => raw.upstreamDownload(bytes)],
  ["download: raw, the file's bytes", () => raw.fileDownload(bytes)],
  ['download: PeerFetch without the edge', () => download(direct.fetch, `/bytes?n=${bytes}`)],
  ['download: the edge, HTTP upstream', () => download(session.fetch, `/up/bytes?n=${bytes}`)],
  ['download: the edge, device-API file', () => download(session.fetch, '/api/media/bench.bin')],
  ['download: its HTTP route, no edge', () => download(direct.fetch, `/up/bytes?n=${bytes}`)],
  ['download: its device API, no edge', () => download(direct.fetch, '/edge/api/media/bench.bin')],
  ['upload: raw', () => raw.upload(bytes)],
  ['upload: raw, to the upstream', () => raw.upstreamUpload(bytes)],
  ['upload: PeerFetch without the edge', () => upload(direct.fetch, '/upload')],
  ['upload: the edge, HTTP upstream', () => upload(session.fetch, '/up/upload')],
  ['upload: its HTTP route, no edge', () => upload(direct.fetch, '/up/upload')],
];
try {
  for (let i = 0; i < Number(values.repetitions); i++) {
    for (const [name, run] of paths) record(name, await run());
  }
} finally {
  await comparison.close();
  await stack.stop();
}
for (const [name, list] of Object.entries(speeds)) {
  const s = summarize(list);
  const samples = s.samples.map((x) => x.toFixed(0)).join(', ');
  console.log(`${name.padEnd(38)} median ${s.median.toFixed(1)} MiB/s (${samples})`);
}
process.exit(0);
