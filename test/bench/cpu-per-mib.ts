/**
 * What each path costs the whole machine per MiB moved: busy CPU time (user, system, irq,
 * softirq, from /proc/stat, every process and the kernel) over 64 MiB transfers, path by
 * path, downloads and uploads. On a machine whose cores are saturated by a transfer, rates go as the inverse of
 * this cost, so the ratio of two paths' costs predicts the ratio of their rates.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/cpu-per-mib.ts [--mib 64] [--repetitions 6]
 *     [--only http,file] [--plain]
 *
 * `--only` keeps the paths whose name contains one of the words (each direction's raw row
 * stays, as the baseline); `--plain` runs the edge without its systemd unit's settings.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { PATTERN } from './bench-upstream.js';
import { type BenchFetch, openComparison, timedDownload, timedUpload } from './comparison.js';
import { startEdgeStack } from './edge-stack.js';
import { cpuJiffies } from './machine-cpu.js';
import { MiB } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '6' },
    only: { type: 'string' },
    plain: { type: 'boolean', default: false },
  },
});
const mib = Number(values.mib);
const bytes = mib * MiB;
const repetitions = Number(values.repetitions);

const stack = await startEdgeStack({
  serviceSettings: !values.plain,
  mediaFiles: { 'bench.bin': Buffer.concat(Array.from({ length: mib }, () => PATTERN)) },
});
const comparison = await openComparison(stack);
const { session, raw, direct } = comparison;
const download = (fetch: BenchFetch, path: string) => timedDownload(fetch, path, bytes);
const body = new Blob(Array.from({ length: mib }, () => PATTERN));
const upload = (fetch: BenchFetch, path: string) => timedUpload(fetch, path, body);
/** Plain HTTP to the upstream (Node's fetch needs `duplex` for a request body). */
const http: BenchFetch = (path, init) =>
  fetch(`${stack.upstream.url}${path}`, { ...init, duplex: 'half' } as RequestInit);
const allPaths: [string, () => Promise<unknown>][] = [
  ['download: raw DataChannel', () => raw.download(bytes)],
  ['download: PeerFetch without the edge', () => download(direct.fetch, `/bytes?n=${bytes}`)],
  ['download: the edge, device-API file', () => download(session.fetch, '/api/media/bench.bin')],
  ['download: the edge, HTTP upstream', () => download(session.fetch, `/up/bytes?n=${bytes}`)],
  ['download: HTTP alone (no WebRTC)', () => download(http, `/bytes?n=${bytes}`)],
  ['upload: raw DataChannel', () => raw.upload(bytes)],
  ['upload: PeerFetch without the edge', () => upload(direct.fetch, '/upload')],
  ['upload: the edge, HTTP upstream', () => upload(session.fetch, '/up/upload')],
  ['upload: HTTP alone (no WebRTC)', () => upload(http, '/upload')],
];
const words = values.only?.split(',');
const paths = allPaths.filter(
  ([path]) => !words || path.includes('raw') || words.some((word) => path.includes(word)),
);
const rows: { path: string; mibPerSecond: number; cores: number; msPerMiB: number }[] = [];
try {
  for (const [path, run] of paths) {
    await run(); // warm-up
    const before = cpuJiffies();
    const started = performance.now();
    for (let i = 0; i < repetitions; i++) await run();
    const seconds = (performance.now() - started) / 1000;
    const after = cpuJiffies();
    const busyShare = (after.busy - before.busy) / (after.total - before.total);
    const cores = busyShare * availableParallelism();
    const moved = mib * repetitions;
    rows.push({
      path,
      mibPerSecond: moved / seconds,
      cores,
      msPerMiB: (cores * seconds * 1000) / moved,
    });
  }
} finally {
  await comparison.close();
  await stack.stop();
}
console.log('| path | MiB/s | busy cores | CPU ms per MiB | cost × raw | rate × raw |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  // Each direction against its own raw baseline (the first row of its kind).
  const base = rows.find((row) => row.path.split(':')[0] === r.path.split(':')[0])!;
  console.log(
    `| ${r.path} | ${r.mibPerSecond.toFixed(1)} | ${r.cores.toFixed(2)} | ${r.msPerMiB.toFixed(1)} | ${(r.msPerMiB / base.msPerMiB).toFixed(2)} | ${(r.mibPerSecond / base.mibPerSecond).toFixed(2)} |`,
  );
}
process.exit(0);
