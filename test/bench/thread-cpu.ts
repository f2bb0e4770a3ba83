/**
 * Which threads of which process are busy during a download? Per-thread CPU (from
 * /proc/<pid>/task/<tid>/stat) of this process (the client), the edge, the bench upstream
 * and the bench peer, over a raw DataChannel download and PeerFetch downloads from the edge
 * (through its HTTP upstream, and a file from its device API).
 *
 * With `--concurrency`, the same over bursts of 2,000 small GETs, 64 in flight, instead; with
 * `--upload`, over uploads to the HTTP upstream: raw forwarded by the bench peer, and PeerFetch
 * through the edge.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/thread-cpu.ts [--mib 64] [--repetitions 2] [--concurrency | --upload]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { PATTERN } from './bench-upstream.js';
import { burst } from './concurrency.js';
import { startEdgeStack } from './edge-stack.js';
import { policyOf } from './node-throughput.js';
import { drain, openRaw, startBenchPeer } from './peer-client.js';
import { MiB, mibPerSecond } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '2' },
    concurrency: { type: 'boolean', default: false },
    upload: { type: 'boolean', default: false },
  },
});
const bytes = Number(values.mib) * MiB;
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** This process and its descendants, with a short name for each. */
function processes(): Map<number, string> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)!)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const mine = new Map<number, string>([[process.pid, 'client']]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (mine.has(row.pid) || !mine.has(row.ppid)) continue;
      const name = /edge\.js/.test(row.args)
        ? 'edge'
        : /bench-upstream/.test(row.args)
          ? 'upstream'
          : /bench-peer/.test(row.args)
            ? 'bench-peer'
            : /signaling/.test(row.args)
              ? 'signaling'
              : 'other';
      mine.set(row.pid, name);
      grew = true;
    }
  }
  return mine;
}

/** CPU ms used so far by every thread, keyed "process/thread-name/tid". */
function threadTimes(procs: Map<number, string>): Map<string, number> {
  const times = new Map<string, number>();
  for (const [pid, name] of procs) {
    if (name === 'other') continue;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        times.set(`${name}/${comm}/${tid}`, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
      } catch {
        // The thread ended.
      }
    }
  }
  return times;
}

async function measure(label: string, run: () => Promise<number>, rate = perMiB) {
  const procs = processes();
  const before = threadTimes(procs);
  const ms = await run();
  const after = threadTimes(procs);
  const busy = [...after]
    .map(([key, t]) => [key, (t - (before.get(key) ?? 0)) / ms] as const)
    .filter(([, share]) => share >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const total = busy.reduce((sum, [, share]) => sum + share, 0);
  console.log(
    `${label}: ${rate(ms)}; threads ≥ 5 % of a core (total ${(total * 100).toFixed(0)} %):`,
  );
  for (const [key, share] of busy)
    console.log(`  ${(share * 100).toFixed(0).padStart(4)} %  ${key}`);
}

const perMiB = (ms: number) => `${mibPerSecond(bytes, ms).toFixed(1)} MiB/s`;
const REQUESTS = 2000;
const perRequest = (ms: number) => `${((REQUESTS * 1000) / ms).toFixed(0)} req/s`;

if (values.concurrency) {
  const stack = await startEdgeStack();
  try {
    const session = await stack.session();
    await burst(session, REQUESTS, 64);
    for (let i = 0; i < Number(values.repetitions); i++) {
      for (const inFlight of [1, 64]) {
        await measure(
          `${REQUESTS} GETs, ${inFlight} in flight`,
          async () => {
            const started = performance.now();
            await burst(session, REQUESTS, inFlight);
            return performance.now() - started;
          },
          perRequest,
        );
      }
    }
    await session.close();
  } finally {
    await stack.stop();
  }
  process.exit(0);
}

const stack = await startEdgeStack({
  mediaFiles: { 'bench.bin': Buffer.concat(Array.from({ length: bytes / MiB }, () => PATTERN)) },
});
const benchPeer = await startBenchPeer(stack.signaling.port);
try {
  const { peer } = await createNodePeer({ port: stack.signaling.port });
  const session = await stack.session();
  const raw = await openRaw(peer, benchPeer.id, policyOf(session), {
    sources: { upstreamUrl: stack.upstream.url },
  });
  const body = values.upload ? new Uint8Array(bytes).fill(7) : undefined;
  for (let i = 0; i < Number(values.repetitions); i++) {
    if (values.upload) {
      await measure('raw, forwarded to the HTTP upstream', () => raw.upstreamUpload(bytes));
      await measure('PeerFetch through the edge to its HTTP upstream', async () => {
        const started = performance.now();
        const response = await session.fetch('/up/upload', { method: 'POST', body });
        if (!response.ok) throw new Error(`upload: status ${response.status}`);
        await response.text();
        return performance.now() - started;
      });
      continue;
    }
    await measure('raw', () => raw.download(bytes));
    for (const [label, path] of [
      ['PeerFetch from the edge, HTTP upstream', `/up/bytes?n=${bytes}`],
      ['PeerFetch from the edge, device-API file', '/api/media/bench.bin'],
    ] as const) {
      await measure(label, async () => {
        const started = performance.now();
        const received = await drain(await session.fetch(path));
        if (received !== bytes) throw new Error(`${label}: ${received} of ${bytes} bytes`);
        return performance.now() - started;
      });
    }
  }
  raw.close();
  await session.close();
} finally {
  await benchPeer.stop();
  await stack.stop();
}
process.exit(0);
