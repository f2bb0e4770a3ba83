/**
 * What the idle edge's RSS is made of, part by part, next to a bare Node with wrtc and two
 * connected peer connections. The edge is measured as the memory scenario measures it: one
 * second after a paired session opened, then again after it settled.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/idle-memory.ts [--runs 2] [--settle 10]
 *     [--snapshot] [--skip-baseline] [--env NAME=VALUE]...
 *
 * `--env` adds to the unit's environment (NODE_OPTIONS is appended to), to try a setting:
 * `--env MALLOC_MMAP_THRESHOLD_=32768`. Idle RSS varies by several MiB from run to run (how
 * much freed compiler memory glibc strands in V8's thread arenas), so compare several runs.
 *
 * Parts: file pages come from /proc/<pid>/smaps, the node binary's split by ELF section
 * through /proc/<pid>/pagemap; V8's heap from v8.getHeapStatistics() (a preload answers
 * SIGHUP); glibc's arenas are [heap] plus the 64 MiB-aligned anonymous mappings of thread
 * arenas. `--snapshot` also writes a heap snapshot and sums it by the package whose code
 * holds each object (its closest owning dominator).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serviceEnvironment, startEdgeStack } from './edge-stack.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    settle: { type: 'string', default: '10' },
    snapshot: { type: 'boolean', default: false },
    'skip-baseline': { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const MiB = 2 ** 20;
const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Preloaded into the measured process: on SIGHUP writes V8's figures to IDLE_REPORT, on
 * SIGWINCH (ignored by a process without it) a heap snapshot to IDLE_REPORT.heapsnapshot.
 */
const PRELOAD = `
const fs = require('node:fs');
const v8 = require('node:v8');
const file = process.env.IDLE_REPORT;
function write(name, make) {
  make(name + '.tmp');
  fs.renameSync(name + '.tmp', name);
}
process.on('SIGHUP', () => write(file, (tmp) => fs.writeFileSync(tmp, JSON.stringify({
  heap: v8.getHeapStatistics(),
  memory: process.memoryUsage(),
}))));
process.on('SIGWINCH', () => write(file + '.heapsnapshot', (tmp) => v8.writeHeapSnapshot(tmp)));
`;

/** Sends `signal` to `pid` and waits (up to 2 minutes) for the file its preload writes. */
async function ask(pid: number, signal: NodeJS.Signals, file: string): Promise<void> {
  await rm(file, { force: true });
  process.kill(pid, signal);
  for (let i = 0; i < 1200; i++) {
    await sleep(100);
    if (existsSync(file)) return;
  }
  throw new Error(`${pid} did not answer ${signal}`);
}

interface Mapping {
  start: number;
  end: number;
  perms: string;
  offset: number;
  name: string;
  rssKiB: number;
}

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const [start, end, offset] = [m[1]!, m[2]!, m[4]!].map((h) => Number.parseInt(h, 16));
      out.push({
        start: start!,
        end: end!,
        perms: m[3]!,
        offset: offset!,
        name: m[5] ?? '',
        rssKiB: 0,
      });
    } else if (line.startsWith('Rss:')) out[out.length - 1]!.rssKiB = Number(line.split(/\s+/)[1]);
  }
  return out;
}

/** ELF sections of the node binary (file offset ranges) and where ICU's data lies in .rodata. */
function nodeSections(binary: string) {
  const sections = execFileSync('readelf', ['-SW', binary], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /\]\s+(\S+)\s+\S+\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && Number.parseInt(m[2]!, 16) > 0)
    .map((m) => ({
      name: m[1]!,
      addr: Number.parseInt(m[2]!, 16),
      offset: Number.parseInt(m[3]!, 16),
      size: Number.parseInt(m[4]!, 16),
    }));
  const icu = /^([0-9a-f]+) ([0-9a-f]+) \S+ icudt\d+_dat$/m.exec(
    execFileSync('nm', ['-DS', '--defined-only', binary], { encoding: 'utf8', maxBuffer: 2 ** 28 }),
  );
  const rodata = sections.find((s) => s.name === '.rodata');
  const icuRange =
    icu && rodata
      ? {
          from: Number.parseInt(icu[1]!, 16) - rodata.addr + rodata.offset,
          size: Number.parseInt(icu[2]!, 16),
        }
      : undefined;
  return { sections, icuRange };
}

/** Resident pages of the node binary by section (MiB), from the pagemap's present bits. */
function nodePagesBySection(pid: number, maps: Mapping[], binary: string): Record<string, number> {
  const { sections, icuRange } = nodeSections(binary);
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  const parts: Record<string, number> = {};
  for (const m of maps.filter((x) => x.name === binary)) {
    const pages = (m.end - m.start) / 4096;
    const entries = Buffer.alloc(pages * 8);
    readSync(fd, entries, 0, entries.length, (m.start / 4096) * 8);
    for (let i = 0; i < pages; i++) {
      if (!(entries.readUInt32LE(i * 8 + 4) & 0x80000000)) continue;
      const offset = m.offset + i * 4096;
      let name =
        sections.find((s) => offset >= s.offset && offset < s.offset + s.size)?.name ?? 'other';
      if (icuRange && offset >= icuRange.from && offset < icuRange.from + icuRange.size)
        name = 'ICU data';
      else if (!['.text', '.rodata'].includes(name)) name = 'symbols, relocations, data';
      parts[name] = (parts[name] ?? 0) + 4096 / MiB;
    }
  }
  return parts;
}

interface Breakdown {
  rss: number;
  parts: Record<string, number>;
  heapUsed: number;
  threads: number;
}

/** RSS by part (MiB) of process `pid`, whose preload writes V8's figures to `reportFile`. */
async function breakdown(pid: number, reportFile: string, wrtc: string): Promise<Breakdown> {
  await ask(pid, 'SIGHUP', reportFile);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    heap: Record<string, number>;
    memory: NodeJS.MemoryUsage;
  };
  const binary = realpathSync(process.execPath);
  const maps = mappings(pid);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  const sum = (f: (m: Mapping) => boolean) =>
    maps.filter(f).reduce((a, m) => a + m.rssKiB, 0) / 1024;
  const threadArena = (m: Mapping) =>
    m.name === '' && m.perms === 'rw-p' && m.start % 2 ** 26 === 0 && m.end - m.start !== 2 ** 18;
  const v8Heap = report.heap.total_physical_size! / MiB;
  const mainArena = sum((m) => m.name === '[heap]');
  const threadArenas = sum(threadArena);
  const parts: Record<string, number> = {};
  for (const [section, mib] of Object.entries(nodePagesBySection(pid, maps, binary)))
    parts[`node binary ${section}`] = mib;
  parts['wrtc.node'] = sum((m) => m.name === wrtc);
  parts['other files (libc, libstdc++…)'] =
    kib('RssFile') / 1024 - sum((m) => m.name === binary || m.name === wrtc);
  parts['V8 heap (committed)'] = v8Heap;
  parts['glibc main arena ([heap])'] = mainArena;
  parts['glibc thread arenas'] = threadArenas;
  parts['other anonymous (stacks, code range, ArrayBuffers…)'] =
    (kib('RssAnon') + kib('RssShmem')) / 1024 - v8Heap - mainArena - threadArenas;
  return {
    rss: kib('VmRSS') / 1024,
    parts,
    heapUsed: report.memory.heapUsed / MiB,
    threads: kib('Threads'),
  };
}

/** A bare Node with wrtc and two peer connections joined by an open data channel. */
const BASELINE = `
const wrtc = require('module').createRequire(process.env.IDLE_FROM)('@roamhq/wrtc');
const a = new wrtc.RTCPeerConnection({ iceServers: [] });
const b = new wrtc.RTCPeerConnection({ iceServers: [] });
a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
const channel = a.createDataChannel('idle');
channel.onopen = () => process.stdout.write('open\\n');
(async () => {
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
})();
setInterval(() => {}, 60_000);
`;

const wrtcPackage = realpathSync(join(here, '../../node_modules/@roamhq/wrtc'));
const wrtcBinary = (pid: number) =>
  mappings(pid).find((m) => m.name.endsWith('/wrtc.node'))?.name ?? `${wrtcPackage}/wrtc.node`;

async function measureBaseline(dir: string, env: Record<string, string>): Promise<Breakdown> {
  const report = join(dir, 'baseline.json');
  const child = spawn(process.execPath, ['-e', BASELINE], {
    env: {
      ...env,
      PATH: process.env.PATH ?? '',
      IDLE_REPORT: report,
      IDLE_FROM: `${wrtcPackage}/`,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
    });
    await sleep(1000);
    return await breakdown(child.pid!, report, wrtcBinary(child.pid!));
  } finally {
    child.kill();
  }
}

interface EdgeRun {
  idle: Breakdown;
  settled: Breakdown;
  snapshot?: string;
}

async function measureEdge(
  dir: string,
  env: Record<string, string>,
  run: number,
): Promise<EdgeRun> {
  const report = join(dir, `edge-${run}.json`);
  const stack = await startEdgeStack({ edgeEnv: { ...env, IDLE_REPORT: report } });
  try {
    const pid = stack.edge.process.pid!;
    const session = await stack.session();
    await sleep(1000); // where the memory scenario reads its idle RSS
    const idle = await breakdown(pid, report, wrtcBinary(pid));
    await sleep(Number(values.settle) * 1000);
    const settled = await breakdown(pid, report, wrtcBinary(pid));
    let snapshot: string | undefined;
    if (values.snapshot) {
      await ask(pid, 'SIGWINCH', `${report}.heapsnapshot`);
      snapshot = `${report}.heapsnapshot`;
    }
    await session.close();
    return { idle, settled, snapshot };
  } finally {
    await stack.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'pf-idle-'));
const preload = join(dir, 'preload.cjs');
await writeFile(preload, PRELOAD);
const unit = serviceEnvironment();
const extra = Object.fromEntries(
  values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const env: Record<string, string> = {
  ...unit,
  ...extra,
  NODE_OPTIONS: [unit.NODE_OPTIONS, extra.NODE_OPTIONS, `--require ${preload}`]
    .filter(Boolean)
    .join(' '),
};
try {
  const baseline = values['skip-baseline'] ? undefined : await measureBaseline(dir, env);
  const runs: EdgeRun[] = [];
  for (let run = 0; run < Number(values.runs); run++) runs.push(await measureEdge(dir, env, run));
  const columns: [string, Breakdown][] = baseline ? [['bare Node + wrtc, 2 PCs', baseline]] : [];
  runs.forEach((r, i) => {
    columns.push([`edge idle #${i + 1}`, r.idle]);
    columns.push([`settled +${values.settle} s`, r.settled]);
  });
  const width = (label: string) => Math.max(10, label.length);
  const row = (label: string, pick: (b: Breakdown) => number | undefined) =>
    console.log(
      [
        label.padEnd(52),
        ...columns.map(([l, b]) => (pick(b) ?? 0).toFixed(1).padStart(width(l))),
      ].join(' '),
    );
  console.log(['part (MiB)'.padEnd(52), ...columns.map(([l]) => l.padStart(width(l)))].join(' '));
  for (const key of new Set(columns.flatMap(([, b]) => Object.keys(b.parts))))
    row(key, (b) => b.parts[key]);
  row('RSS', (b) => b.rss);
  row('  of which V8 heap used', (b) => b.heapUsed);
  row('threads', (b) => b.threads);
  for (const r of runs.filter((x) => x.snapshot)) {
    const { summarizeHeapSnapshot, byPackage } = await import('./heap-snapshot-summary.js');
    const summary = summarizeHeapSnapshot(r.snapshot!);
    console.log(
      `\nheap snapshot after settling: ${(summary.total / MiB).toFixed(1)} MiB reachable, by package:`,
    );
    for (const [name, bytes] of byPackage(summary).slice(0, 40))
      console.log(`${(bytes / MiB).toFixed(2).padStart(7)}  ${name}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
