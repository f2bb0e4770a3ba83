/**
 * Tuning sweep: frame size, channel high-water mark (low-water = high / 4) and per-ticket
 * window, each PeerFetch setting measured against the raw DataChannel with the same frame
 * size and water marks, alternating, over wrtc between this process and the bench peer.
 * Also the p99 of small GETs during the download, the head-of-line cost of each setting.
 *
 *   bash test/run-in-netns.sh npx tsx bench/src/sweep.ts [--size-mib 32] [--repetitions 3] [--grid full|window]
 *
 * Writes bench/results/sweep.json and prints a Markdown table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNodePeer, type Peer } from '@peerfetch/test/helpers/peerjs-node.js';
import { startSignaling, UNLIMITED_SIGNALING } from '@peerfetch/test/helpers/signaling.js';
import { type BenchPeer, drain, openPeerFetch, openRaw, startBenchPeer } from './peer-client.js';
import { RESULTS_DIR } from './results-dir.js';
import { MiB, median, mibPerSecond, percentile } from './stats.js';

const KiB = 1024;

export interface SweepPoint {
  frameKiB: number;
  highWaterKiB: number;
  windowKiB: number;
}

export interface SweepFailure extends SweepPoint {
  /** Why the point could not be measured (a stalled or closed session, say). */
  error: string;
}

export interface SweepRow extends SweepPoint {
  rawMiBps: number;
  peerFetchMiBps: number;
  ratio: number;
  /** Small GETs (128 B) during the download: p50 and p99 in ms. */
  smallDuringP50Ms: number;
  smallDuringP99Ms: number;
}

/**
 * Frame sizes at the default water marks and window; then water marks and windows at
 * 256 KiB frames; and a smaller window with 64 KiB frames.
 */
export function sweepPoints(grid: 'full' | 'window' = 'full'): SweepPoint[] {
  const points: SweepPoint[] = [];
  if (grid === 'window') {
    // Twice over, so a slow spell of the shared machine shows up as disagreement.
    for (let round = 0; round < 2; round++)
      for (const frameKiB of [64, 256])
        for (const windowKiB of [512, 1024])
          points.push({ frameKiB, highWaterKiB: 1024, windowKiB });
    return points;
  }
  for (const frameKiB of [16, 64, 128, 256])
    points.push({ frameKiB, highWaterKiB: 1024, windowKiB: 1024 });
  for (const highWaterKiB of [256, 512, 2048])
    points.push({ frameKiB: 256, highWaterKiB, windowKiB: 1024 });
  for (const windowKiB of [256, 512, 2048])
    points.push({ frameKiB: 256, highWaterKiB: 1024, windowKiB });
  points.push({ frameKiB: 64, highWaterKiB: 1024, windowKiB: 512 });
  return points;
}

async function measure(
  peer: Peer,
  benchPeer: BenchPeer,
  point: SweepPoint,
  bytes: number,
  repetitions: number,
): Promise<SweepRow> {
  const water = {
    highWaterMark: point.highWaterKiB * KiB,
    lowWaterMark: (point.highWaterKiB * KiB) / 4,
  };
  const raw = await openRaw(peer, benchPeer.id, { frameSize: point.frameKiB * KiB, ...water });
  const pf = await openPeerFetch(
    peer,
    benchPeer.id,
    { maxFrameSize: point.frameKiB * KiB, window: point.windowKiB * KiB, ...water },
    { maxFrameSize: point.frameKiB * KiB, window: point.windowKiB * KiB, ...water },
  );
  const rawSpeeds: number[] = [];
  const pfSpeeds: number[] = [];
  const small: number[] = [];
  try {
    // Throughput alone first (alternating), then one download with small GETs beside it,
    // so the probes' CPU does not lower the throughput figures.
    for (let i = 0; i < repetitions; i++) {
      rawSpeeds.push(mibPerSecond(bytes, await raw.download(bytes)));
      const started = performance.now();
      if ((await drain(await pf.fetch(`/bytes?n=${bytes}`))) !== bytes)
        throw new Error('sweep: short download');
      pfSpeeds.push(mibPerSecond(bytes, performance.now() - started));
    }
    let downloading = true;
    const download = pf.fetch(`/bytes?n=${bytes}`).then(drain);
    download
      .finally(() => {
        downloading = false;
      })
      .catch(() => {}); // its failure is reported by the await below
    while (downloading) {
      const t0 = performance.now();
      await (await pf.fetch('/small')).arrayBuffer();
      small.push(performance.now() - t0);
    }
    if ((await download) !== bytes) throw new Error('sweep: short download');
  } finally {
    raw.close();
    pf.close();
  }
  return {
    ...point,
    rawMiBps: median(rawSpeeds),
    peerFetchMiBps: median(pfSpeeds),
    ratio: median(pfSpeeds) / median(rawSpeeds),
    smallDuringP50Ms: percentile(small, 50),
    smallDuringP99Ms: percentile(small, 99),
  };
}

export async function runSweep(
  options: { sizeMiB?: number; repetitions?: number; grid?: 'full' | 'window' } = {},
) {
  const bytes = (options.sizeMiB ?? 32) * MiB;
  const repetitions = options.repetitions ?? 3;
  const signaling = await startSignaling(UNLIMITED_SIGNALING);
  const benchPeer = await startBenchPeer(signaling.port);
  const { peer } = await createNodePeer({ port: signaling.port });
  const rows: SweepRow[] = [];
  const failures: SweepFailure[] = [];
  try {
    for (const point of sweepPoints(options.grid)) {
      try {
        const row = await measure(peer, benchPeer, point, bytes, repetitions);
        console.log(sweepLine(row));
        rows.push(row);
      } catch (error) {
        const failure = { ...point, error: (error as Error).message };
        console.log(
          `| ${point.frameKiB} | ${point.highWaterKiB} | ${point.windowKiB} | failed: ${failure.error} |`,
        );
        failures.push(failure);
      }
    }
  } finally {
    peer.destroy();
    await benchPeer.stop();
    await signaling.stop();
  }
  return { sizeMiB: bytes / MiB, repetitions, rows, failures };
}

function sweepLine(r: SweepRow): string {
  return `| ${r.frameKiB} | ${r.highWaterKiB} / ${r.highWaterKiB / 4} | ${r.windowKiB} | ${r.rawMiBps.toFixed(1)} | ${r.peerFetchMiBps.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.smallDuringP50Ms.toFixed(1)} / ${r.smallDuringP99Ms.toFixed(1)} |`;
}

export const SWEEP_HEADER = [
  '| frame KiB | high / low water KiB | window KiB | raw MiB/s | PeerFetch MiB/s | ratio | small GET during download p50 / p99 ms |',
  '|---|---|---|---|---|---|---|',
].join('\n');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '32' },
      repetitions: { type: 'string', default: '3' },
      grid: { type: 'string', default: 'full' },
    },
  });
  console.log(SWEEP_HEADER);
  const result = await runSweep({
    sizeMiB: Number(values['size-mib']),
    repetitions: Number(values.repetitions),
    grid: values.grid === 'window' ? 'window' : 'full',
  });
  const name = values.grid === 'window' ? 'sweep-window.json' : 'sweep.json';
  const out = join(RESULTS_DIR, name);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
  console.log(`written to ${out}`);
  process.exit(0);
}
