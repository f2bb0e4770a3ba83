/**
 * Is the download gap PeerFetch's code or credit-based pacing itself over wrtc? 64 MiB from
 * the bench peer over the raw DataChannel, free-running (the baseline) and paced by a
 * window as PeerFetch paces a body (no protocol code at all), beside PeerFetch from the edge
 * and PeerFetch from the bench peer (the same shared code without the edge process).
 * Alternating, several repetitions.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/credit-pacing.ts [--mib 64] [--repetitions 3] [--plain]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_WINDOW } from '@peerfetch/shared';
import { openComparison } from './comparison.js';
import { startEdgeStack } from './edge-stack.js';
import { drain } from './peer-client.js';
import { MiB, mibPerSecond, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '3' },
    /** Run the edge without its systemd unit's memory settings. */
    plain: { type: 'boolean', default: false },
  },
});
const bytes = Number(values.mib) * MiB;
const stack = await startEdgeStack({ serviceSettings: !values.plain });
const samples: Record<string, number[]> = {};
const note = (name: string, ms: number) => {
  samples[name] ??= [];
  samples[name].push(mibPerSecond(bytes, ms));
};
const comparison = await openComparison(stack).catch(async (error) => {
  await stack.stop();
  throw error;
});
try {
  // `direct`: the same shared session code with default tuning, served by the bench peer.
  const { session, raw, direct } = comparison;
  for (let i = 0; i < Number(values.repetitions); i++) {
    note('raw', await raw.download(bytes));
    note(
      `raw, window ${DEFAULT_WINDOW / 1024} KiB`,
      await raw.windowedDownload(bytes, DEFAULT_WINDOW),
    );
    note('raw, window 1024 KiB', await raw.windowedDownload(bytes, 1024 * 1024));
    const started = performance.now();
    const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
    if (received !== bytes) throw new Error(`PeerFetch: ${received} of ${bytes} bytes`);
    note('PeerFetch from the edge', performance.now() - started);
    const directStarted = performance.now();
    // 64 KiB source chunks, as an HTTP or file stream gives the edge.
    const directBytes = await drain(await direct.fetch(`/bytes?n=${bytes}&chunk=65536`));
    if (directBytes !== bytes) throw new Error(`PeerFetch: ${directBytes} of ${bytes} bytes`);
    note('PeerFetch from the bench peer (no edge)', performance.now() - directStarted);
  }
  for (const [name, list] of Object.entries(samples)) {
    const s = summarize(list);
    console.log(
      `${name}: median ${s.median.toFixed(1)} MiB/s, samples ${list.map((v) => v.toFixed(1)).join(', ')}`,
    );
  }
} finally {
  await comparison.close();
  await stack.stop();
}
process.exit(0);
