/**
 * What strangers at the signaling server cost a paired client: the edge's RSS, descriptors
 * and threads, and a paired client's small-GET latency, during a flood of canned offers and
 * junk candidates (startStrangerFlood) against the same with no flood, alternated. The
 * flood's peaks are against the edge's idle: a quiet phase after a flood still holds the
 * connections the flood got admitted until their deadline.
 */

import type { EdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import { smallBody } from '@peerfetch/test/helpers/pattern-upstream.js';
import {
  type ProcessStats,
  processStats,
  startStrangerFlood,
  watchPeaks,
} from '@peerfetch/test/helpers/stranger.js';
import { MiB, percentile } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface FloodPhase {
  p50Ms: number;
  p99Ms: number;
  peak: ProcessStats;
  messagesSent: number;
}

export interface StrangerFloodResult {
  idle: ProcessStats;
  quiet: FloodPhase;
  flood: FloodPhase;
}

/** The bounds: what a flood may add to the edge. */
const MAX_RSS_GROWTH = 64 * MiB;
const MAX_FDS = 2000;

async function phase(
  stack: EdgeStack,
  requests: number,
  withFlood: boolean,
): Promise<{ latencies: number[]; peak: ProcessStats; sent: number }> {
  const session = await stack.session();
  const flood = withFlood
    ? await startStrangerFlood(stack.signaling.port, stack.edge.peerId)
    : undefined;
  const peaks = watchPeaks(stack.edge.process.pid!);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const text = await (await session.fetch(`/up/small?i=${i}`)).text();
      latencies.push(performance.now() - started);
      if (text !== smallBody(i)) throw new Error(`small GET ${i}: unexpected body`);
    }
  } finally {
    await flood?.stop();
    await session.close();
  }
  return { latencies, peak: peaks.stop(), sent: flood?.sent ?? 0 };
}

const maxStats = (a: ProcessStats, b: ProcessStats): ProcessStats => ({
  rssBytes: Math.max(a.rssBytes, b.rssBytes),
  fds: Math.max(a.fds, b.fds),
  threads: Math.max(a.threads, b.threads),
});

export async function runStrangerFlood(
  stack: EdgeStack,
  options: { rounds?: number; requests?: number } = {},
): Promise<{ result: StrangerFloodResult; rows: TargetRow[] }> {
  const rounds = options.rounds ?? 3;
  const requests = options.requests ?? 300;
  const idle = await processStats(stack.edge.process.pid!);
  const zero = { rssBytes: 0, fds: 0, threads: 0 };
  const quiet = { latencies: [] as number[], peak: zero, sent: 0 };
  const flood = { latencies: [] as number[], peak: zero, sent: 0 };
  for (let round = 0; round < rounds; round++) {
    for (const [into, withFlood] of [
      [quiet, false],
      [flood, true],
    ] as const) {
      const r = await phase(stack, requests, withFlood);
      into.latencies.push(...r.latencies);
      into.peak = maxStats(into.peak, r.peak);
      into.sent += r.sent;
    }
  }
  const summary = (p: typeof quiet): FloodPhase => ({
    p50Ms: percentile(p.latencies, 50),
    p99Ms: percentile(p.latencies, 99),
    peak: p.peak,
    messagesSent: p.sent,
  });
  const result = { idle, quiet: summary(quiet), flood: summary(flood) };
  const growth = result.flood.peak.rssBytes - idle.rssBytes;
  const rows: TargetRow[] = [
    {
      scenario: `paired small GET during a stranger flood (${result.flood.messagesSent} messages)`,
      subject: `p50 ${fmt(result.flood.p50Ms, 2)} / p99 ${fmt(result.flood.p99Ms, 2)} ms`,
      baseline: `no flood p50 ${fmt(result.quiet.p50Ms, 2)} / p99 ${fmt(result.quiet.p99Ms, 2)} ms`,
      figure: `p99 ${fmt(result.flood.p99Ms / result.quiet.p99Ms, 2)} ×`,
      target: 'reported',
      met: null,
    },
    {
      scenario: 'edge RSS during the stranger flood',
      subject: `peak ${fmt(result.flood.peak.rssBytes / MiB, 0)} MiB`,
      baseline: `idle ${fmt(idle.rssBytes / MiB, 0)} MiB`,
      figure: `+${fmt(growth / MiB, 0)} MiB`,
      target: '< +64 MiB',
      met: growth < MAX_RSS_GROWTH,
    },
    {
      scenario: 'edge descriptors and threads during the stranger flood',
      subject: `${result.flood.peak.fds} fds, ${result.flood.peak.threads} threads`,
      baseline: `idle ${idle.fds} fds, ${idle.threads} threads`,
      figure: `${result.flood.peak.fds} fds`,
      target: '< 2,000 fds',
      met: result.flood.peak.fds < MAX_FDS,
    },
  ];
  return { result, rows };
}
