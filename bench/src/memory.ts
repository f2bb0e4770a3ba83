/**
 * Edge memory: RSS when idle, its peak while a 1 GiB download goes to a slow reader (one
 * that stops for a while after every 64 MiB, so the edge must hold the upstream back rather
 * than buffer), and RSS a few seconds after the download.
 */
import type { EdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import { MiB } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface MemoryResult {
  downloadMiB: number;
  /** RSS of the edge right after it started and paired, before any benchmark. */
  startRssMiB: number;
  idleRssMiB: number;
  peakRssMiB: number;
  afterRssMiB: number;
  readerPauses: number;
  pauseMs: number;
  seconds: number;
}

/** How much above idle still counts as "back near idle". */
export const NEAR_IDLE_MIB = 32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runMemory(
  stack: EdgeStack,
  startRssBytes: number,
  options: { downloadMiB?: number; pauseEveryMiB?: number; pauseMs?: number } = {},
): Promise<{ result: MemoryResult; rows: TargetRow[] }> {
  const downloadMiB = options.downloadMiB ?? 1024;
  const pauseEvery = (options.pauseEveryMiB ?? 64) * MiB;
  const pauseMs = options.pauseMs ?? 500;
  const bytes = downloadMiB * MiB;
  const session = await stack.session();
  await sleep(1000);
  const idle = await stack.edge.rssBytes();
  let peak = idle;
  const sampler = setInterval(() => {
    void stack.edge.rssBytes().then((rss) => {
      peak = Math.max(peak, rss);
    });
  }, 50);
  let pauses = 0;
  const started = performance.now();
  try {
    const response = await session.fetch(`/up/bytes?n=${bytes}`);
    let received = 0;
    let sincePause = 0;
    for await (const part of response.body!) {
      received += part.byteLength;
      sincePause += part.byteLength;
      if (sincePause >= pauseEvery) {
        sincePause = 0;
        pauses++;
        await sleep(pauseMs);
      }
    }
    if (received !== bytes) throw new Error(`memory: ${received} of ${bytes} bytes`);
  } finally {
    clearInterval(sampler);
    await session.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(3000);
  const after = await stack.edge.rssBytes();
  const result: MemoryResult = {
    downloadMiB,
    startRssMiB: startRssBytes / MiB,
    idleRssMiB: idle / MiB,
    peakRssMiB: peak / MiB,
    afterRssMiB: after / MiB,
    readerPauses: pauses,
    pauseMs,
    seconds,
  };
  const rows: TargetRow[] = [
    {
      scenario: `edge memory, ${downloadMiB} MiB to a slow reader`,
      subject: `peak ${fmt(result.peakRssMiB, 0)} MiB`,
      baseline: `idle ${fmt(result.idleRssMiB, 0)} MiB (at start ${fmt(result.startRssMiB, 0)})`,
      figure: `peak ${fmt(result.peakRssMiB, 0)} MiB`,
      target: 'peak ≤ 120 MiB',
      met: result.peakRssMiB <= 120,
    },
    {
      scenario: 'edge memory after the download',
      subject: `${fmt(result.afterRssMiB, 0)} MiB after 3 s`,
      baseline: `idle ${fmt(result.idleRssMiB, 0)} MiB`,
      figure: `${signed(result.afterRssMiB - result.idleRssMiB)} MiB against idle`,
      target: `back near idle (≤ idle + ${NEAR_IDLE_MIB} MiB)`,
      met: result.afterRssMiB - result.idleRssMiB <= NEAR_IDLE_MIB,
    },
  ];
  return { result, rows };
}

/** A difference with its sign, as "+4" or "−5". */
function signed(value: number): string {
  const rounded = fmt(Math.abs(value), 0);
  return `${value < 0 ? '−' : '+'}${rounded}`;
}
