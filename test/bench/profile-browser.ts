/**
 * Where the bench page's time goes in Chromium during the browser download
 * (browser-download.ts): the raw DataChannel from the bench peer against PeerFetch from the
 * edge, alternating, each download under the renderer main thread's V8 sampling profiler
 * (CDP `Profiler`). Profiles go to bench/results/profiles/browser-<time>/; for each kind it
 * prints the rates, the main thread's busy time per MiB, the CPU per MiB of every process
 * (the renderer by thread), the gaps between arriving messages and, for PeerFetch, how long
 * each CREDIT took to leave after the frame before it and the next frame to come after it;
 * then self time by package and function over that kind's profiles.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/profile-browser.ts [--mib 64] [--repetitions 2] [--window KiB]
 *
 * `--window` opens the page's PeerFetch session with that receive window instead of the
 * default (is the credit loop what holds it back?).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../helpers/browser.js';
import { bundlePage, call, download, openBenchPage, servePage } from './browser-download.js';
import { type Profile, summarizeProfiles, totalsOf } from './cpu-profile-summary.js';
import { startEdgeStack } from './edge-stack.js';
import { cpuJiffies } from './machine-cpu.js';
import { startBenchPeer } from './peer-client.js';
import { MiB, mibPerSecond, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '2' },
    window: { type: 'string' },
  },
});
const bytes = Number(values.mib) * MiB;
const tuning: Record<string, number> = values.window
  ? { window: Number(values.window) * 1024 }
  : {};
/** 200 µs: about 15,000 samples per download at the rates seen here, at little cost. */
const SAMPLING_US = 200;
/** A task this long is a "long task" in Chromium's terms (blocks input handling). */
const LONG_TASK_US = 50_000;
const KINDS = ['raw', 'peerFetch'] as const;
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** What page.ts `watched` returns: [ms, bytes] per message received and sent. */
interface Traffic {
  received: [number, number][];
  sent: [number, number][];
}

/** CPU ms so far of every process this one started, the page's renderer by thread. */
async function cpuMs(): Promise<Map<string, number>> {
  const rows = execFileSync('ps', ['-ww', '-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)!);
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [, pid, ppid] of rows) {
      if (mine.has(Number(pid)) || !mine.has(Number(ppid))) continue;
      mine.add(Number(pid));
      grew = true;
    }
  }
  const times = new Map<string, number>();
  for (const [, pid, , args] of rows) {
    if (!mine.has(Number(pid))) continue;
    // Chromium's utility processes named by service (the network service moves WebRTC's UDP).
    const type =
      /--utility-sub-type=([\w.]+)/.exec(args!)?.[1] ?? /--type=([\w-]+)/.exec(args!)?.[1];
    const name =
      Number(pid) === process.pid
        ? 'driver'
        : /edge\.js/.test(args!)
          ? 'edge'
          : (/bench-(upstream|peer)/.exec(args!)?.[0] ??
            (/chrom/.test(args!) ? `chromium ${type ?? 'browser'}` : 'other'));
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
    for (const tid of tasks) {
      try {
        const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        // Only the renderer by thread: it holds both the page's JavaScript and its WebRTC.
        const key = type === 'renderer' ? `renderer ${comm}` : name;
        const used = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
        times.set(key, (times.get(key) ?? 0) + used);
      } catch {
        // The thread ended.
      }
    }
  }
  return times;
}

const p = (values: number[], q: number) => (values.length ? percentile(values, q) : Number.NaN);
const ms = (value: number) => value.toFixed(1);

/** What one download measured, besides its profile. */
interface Sample {
  took: number;
  traffic: Traffic;
  /** CPU ms per process (renderer: per thread) and of the whole machine, before and after. */
  cpu: [Map<string, number>, Map<string, number>];
  machine: [{ busy: number; total: number }, { busy: number; total: number }];
}

/** The lines printed for one download. */
function describe(title: string, profile: Profile, { took, traffic, cpu, machine }: Sample) {
  const mib = bytes / MiB;
  const { totalUs, idleUs, busyStretchesUs } = totalsOf(profile);
  const busyUs = totalUs - idleUs;
  const perMiB = [...cpu[1]]
    .map(([key, total]) => [key, (total - (cpu[0].get(key) ?? 0)) / mib] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const ours = perMiB.reduce((sum, [, v]) => sum + v, 0);
  const machineBusy = (machine[1].busy - machine[0].busy) / (machine[1].total - machine[0].total);
  const { received, sent } = traffic;
  const sizes = received.map(([, size]) => size);
  const under = (limit: number) => sizes.filter((size) => size < limit).length;
  const gaps = received.slice(1).map(([t], j) => t - received[j]![0]);
  const lines = [
    `\n${title}: ${mibPerSecond(bytes, took).toFixed(1)} MiB/s (${ms(took)} ms)`,
    `  main thread busy ${((100 * busyUs) / totalUs).toFixed(0)} %, ${ms(busyUs / 1000 / mib)} ms ` +
      `per MiB; ${busyStretchesUs.length} busy stretches, p50 ${ms(p(busyStretchesUs, 50) / 1000)}` +
      ` / max ${ms(Math.max(0, ...busyStretchesUs) / 1000)} ms, ` +
      `${busyStretchesUs.filter((us) => us >= LONG_TASK_US).length} of ≥ 50 ms`,
    `  machine busy ${(100 * machineBusy).toFixed(0)} %; our processes ${ours.toFixed(1)} CPU ms ` +
      `per MiB: ${perMiB.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`,
    `  ${sizes.length} messages in (${under(16_384)} under 16 KiB, ${under(255 * 1024)} under ` +
      `255 KiB), ${sent.length} out; gap between arrivals p50 ${ms(p(gaps, 50))} / p90 ` +
      `${ms(p(gaps, 90))} / max ${ms(Math.max(0, ...gaps))} ms`,
  ];
  if (sent.length > 1) {
    // For each CREDIT: since the frame before it (the page's share of the credit loop), and
    // until the next frame (the rest of the loop, when the edge was waiting for it).
    const afterFrame: number[] = [];
    const untilNext: number[] = [];
    for (const [at] of sent) {
      const next = received.findIndex(([t]) => t > at);
      const before = received[(next < 0 ? received.length : next) - 1];
      if (before) afterFrame.push(at - before[0]);
      if (next >= 0) untilNext.push(received[next]![0] - at);
    }
    lines.push(
      `  CREDIT after the frame before it p50 ${ms(p(afterFrame, 50))} / p90 ` +
        `${ms(p(afterFrame, 90))} ms; next frame after it p50 ${ms(p(untilNext, 50))} / p90 ` +
        `${ms(p(untilNext, 90))} ms`,
    );
  }
  return lines.join('\n');
}

const dir = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../bench/results/profiles',
  `browser-${Date.now()}`,
);
await mkdir(dir, { recursive: true });
const stack = await startEdgeStack();
const benchPeer = await startBenchPeer(stack.signaling.port);
// One file per source module: the profile's URLs then name the package of every function.
const page$ = await servePage(await bundlePage(true));
const launched = await launchBrowser();
const files = new Map<string, string[]>(KINDS.map((k) => [k, []]));
try {
  const { page } = await openBenchPage(launched.browser, page$.url, stack, benchPeer, tuning);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
  console.log(`${values.mib} MiB per download, Chromium ${launched.browser.version()}`, tuning);
  for (let i = 1; i <= Number(values.repetitions); i++) {
    for (const kind of KINDS) {
      await call(page, 'watch', kind);
      const cpuBefore = await cpuMs();
      const machineBefore = cpuJiffies();
      await cdp.send('Profiler.start');
      const took = await download(page, kind, bytes);
      const { profile } = await cdp.send('Profiler.stop');
      const machine: Sample['machine'] = [machineBefore, cpuJiffies()];
      const cpu: Sample['cpu'] = [cpuBefore, await cpuMs()];
      const traffic = await call<Traffic>(page, 'watched');
      const file = join(dir, `${kind}-${i}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      files.get(kind)!.push(file);
      const sample = { took, traffic, cpu, machine };
      console.log(describe(`${kind} #${i}`, profile as Profile, sample));
    }
  }
  await call(page, 'close');
} finally {
  await launched.close();
  await page$.stop();
  await benchPeer.stop();
  await stack.stop();
}
for (const [kind, list] of files) console.log(`\n## ${kind}\n${await summarizeProfiles(list, 20)}`);
process.exit(0);
