/**
 * `npm run bench`: runs every scenario (inside a loopback-only network namespace), writes
 * bench/results/latest.json with the figures and the machine's facts, and prints a table
 * of every target, met or missed.
 *
 *   npm run bench -- [--only download,browser,latency,concurrency,setup,memory,in-memory,signaling,signaling-cluster,strangers,abrupt-close,paths]
 *                    [--quick] [--sweep]
 *
 * `--quick` runs smaller sizes and fewer repetitions (a smoke run: its figures are noisier);
 * `--sweep` also runs the tuning sweep (sweep.ts) and adds it to the results.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { runAbruptCloses } from '@peerfetch/test/helpers/abrupt-closes.js';
import { CHROMIUM_PATH } from '@peerfetch/test/helpers/browser.js';
import { type EdgeStack, startEdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import { abruptCloseRow } from './abrupt-close.js';
import { runBrowserDownload } from './browser-download.js';
import { runConcurrency } from './concurrency.js';
import { run as inMemory } from './in-memory-throughput.js';
import { runInternetPaths } from './internet-paths.js';
import { runLatency } from './latency.js';
import { runMemory } from './memory.js';
import { runNodeThroughput } from './node-throughput.js';
import { type BenchPeer, startBenchPeer } from './peer-client.js';
import { RESULTS_DIR } from './results-dir.js';
import { runSessionSetup } from './session-setup.js';
import { run as signalingCapacity, toMarkdown as signalingMarkdown } from './signaling-capacity.js';
import { clusterRows, runSignalingCluster } from './signaling-cluster.js';
import { runStrangerFlood } from './stranger-flood.js';
import { runSweep, SWEEP_HEADER } from './sweep.js';
import { fmt, type TargetRow, toMarkdown } from './targets.js';

const ALL = [
  'in-memory',
  'download',
  'browser',
  'latency',
  'concurrency',
  'setup',
  'memory',
  'signaling',
  'signaling-cluster',
  'strangers',
  'abrupt-close',
  'paths',
];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
  },
});
const selected = new Set(values.only ? values.only.split(',') : ALL);
for (const name of selected)
  if (!ALL.includes(name)) throw new Error(`unknown scenario ${name}; known: ${ALL.join(', ')}`);
const quick = values.quick;

async function chromiumVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(CHROMIUM_PATH, ['--version']);
    return stdout.match(/[\d.]+/)?.[0] ?? stdout.trim();
  } catch {
    return 'not found';
  }
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  node: process.version,
  chromium: await chromiumVersion(),
  date: new Date().toISOString(),
};
console.log(`# PeerFetch benchmarks\n\n${JSON.stringify(machine)}\n`);

const results: Record<string, unknown> = {};
const rows: TargetRow[] = [];
const started = performance.now();

function progress(name: string) {
  console.log(`… ${name} (${((performance.now() - started) / 1000).toFixed(0)} s so far)`);
}

if (selected.has('in-memory')) {
  progress('in-memory');
  const memory = await inMemory(quick ? { sizeMiB: 32, repetitions: 3 } : {});
  results.inMemory = memory;
  rows.push({
    scenario: `in-memory channel, ${memory.sizeMiB} MiB (no WebRTC; timer-paced)`,
    subject: `${fmt(memory.peerFetchMiBps)} MiB/s`,
    baseline: `raw ${fmt(memory.rawMiBps)} MiB/s`,
    figure: `${fmt(memory.ratio, 2)} × raw`,
    target: '—',
    met: null,
  });
}

/** The media file the download scenario also fetches from the edge's device API. */
const MEDIA_FILE = 'bench-download.mp4';
const edgeScenarios = ['download', 'browser', 'latency', 'concurrency', 'setup'];
if (edgeScenarios.some((s) => selected.has(s))) {
  const size = quick ? 16 : 64;
  // The download's bytes as a media file too: the edge's own device API, no HTTP hop.
  const stack: EdgeStack = await startEdgeStack({
    mediaFiles: { [MEDIA_FILE]: new Uint8Array(size * 2 ** 20).fill(0x5a) },
  });
  const benchPeer: BenchPeer = await startBenchPeer(stack.signaling.port);
  try {
    if (selected.has('download')) {
      progress('download and upload, Node');
      const r = await runNodeThroughput(stack, benchPeer, {
        sizeMiB: size,
        repetitions: quick ? 2 : 5,
        mediaFile: MEDIA_FILE,
      });
      results.nodeThroughput = r.result;
      rows.push(...r.rows);
    }
    if (selected.has('browser')) {
      progress('download, Chromium');
      const r = await runBrowserDownload(stack, benchPeer, {
        sizeMiB: size,
        repetitions: quick ? 2 : 3,
      });
      results.browserDownload = r.result;
      rows.push(...r.rows);
    }
    if (selected.has('latency')) {
      progress('latency and head-of-line');
      const r = await runLatency(stack, benchPeer, { rounds: quick ? 2 : 6, downloadMiB: size });
      results.latency = r.result;
      rows.push(...r.rows);
    }
    if (selected.has('concurrency')) {
      progress('concurrency');
      const r = await runConcurrency(stack, { repetitions: quick ? 1 : 2 });
      results.concurrency = r.result;
      rows.push(...r.rows);
    }
    if (selected.has('setup')) {
      progress('session setup');
      const r = await runSessionSetup(stack, benchPeer, { runs: quick ? 5 : 20 });
      results.sessionSetup = r.result;
      rows.push(...r.rows);
    }
  } finally {
    await benchPeer.stop();
    await stack.stop();
  }
}

if (selected.has('memory')) {
  progress('edge memory');
  // A fresh edge, so its idle and peak are the download's and not earlier scenarios' heap.
  const stack = await startEdgeStack();
  try {
    const startRss = await stack.edge.rssBytes();
    const r = await runMemory(stack, startRss, { downloadMiB: quick ? 256 : 1024 });
    results.memory = r.result;
    rows.push(...r.rows);
  } finally {
    await stack.stop();
  }
}

if (selected.has('strangers')) {
  progress('stranger flood');
  // A fresh edge: the flood's peaks are measured against its own idle.
  const stack = await startEdgeStack();
  try {
    const r = await runStrangerFlood(stack, quick ? { rounds: 1, requests: 100 } : {});
    results.strangerFlood = r.result;
    rows.push(...r.rows);
  } finally {
    await stack.stop();
  }
}

if (selected.has('abrupt-close')) {
  progress('abrupt closes');
  // Its own stacks, under the supervisor as shipped: a crash must not reach other scenarios.
  const r = await runAbruptCloses({ trials: quick ? 10 : 30 });
  results.abruptClose = r;
  rows.push(abruptCloseRow(r));
}

if (selected.has('paths')) {
  progress('paths: a TURN relay and a shaped uplink, in the internet in a box');
  // Its own box: namespaces, NAT routers, coturn, and an edge at home.
  const r = await runInternetPaths(
    quick ? { sizeMiB: 8, repetitions: 2, gets: 50 } : { sizeMiB: 32, repetitions: 4 },
  );
  results.internetPaths = r.result;
  rows.push(...r.rows);
}

let signalingTable = '';
if (selected.has('signaling')) {
  progress('signaling capacity');
  const signaling = await signalingCapacity({ peers: quick ? 400 : 2000, log: () => {} });
  results.signaling = signaling;
  signalingTable = signalingMarkdown(signaling);
  rows.push({
    scenario: `signaling, ${signaling.peers} peers in rooms`,
    subject: `${fmt(signaling.bytesPerPeer / 1024)} KiB per peer; join p99 ${fmt(signaling.joinMs.p99, 1)} ms`,
    baseline: '—',
    figure: `join p99 ${fmt(signaling.joinMs.p99, 1)} ms`,
    target: 'reported',
    met: null,
  });
}

if (selected.has('signaling-cluster')) {
  progress('signaling on two instances through Redis');
  const cluster = await runSignalingCluster({ peers: quick ? 400 : 2000, log: () => {} });
  results.signalingCluster = cluster;
  rows.push(...clusterRows(cluster));
}

let sweepTable = '';
if (values.sweep) {
  progress('tuning sweep');
  const sweep = await runSweep(quick ? { sizeMiB: 16, repetitions: 2 } : {});
  results.sweep = sweep;
  sweepTable = SWEEP_HEADER;
}

const seconds = (performance.now() - started) / 1000;
console.log(`\n## Targets (${quick ? 'quick run, ' : ''}${seconds.toFixed(0)} s)\n`);
console.log(toMarkdown(rows));
if (signalingTable) console.log(`\n## Signaling capacity\n\n${signalingTable}`);
if (sweepTable) console.log('\n(the sweep rows are printed above, and kept in latest.json)');

await mkdir(RESULTS_DIR, { recursive: true });
await writeFile(
  path.join(RESULTS_DIR, 'latest.json'),
  `${JSON.stringify({ machine, quick, seconds, targets: rows, ...results }, null, 2)}\n`,
);
console.log('\nwritten to bench/results/latest.json');
// wrtc keeps native threads alive after the last peer closes.
process.exit(0);
