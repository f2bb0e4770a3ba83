/**
 * Where the small GET's time goes: raw echo, raw with the bench peer fetching the upstream's
 * answer, PeerFetch served by the bench peer (the shared code, no edge; from memory, and
 * through the edge's upstream handler), the edge's device API (no HTTP hop) and the edge
 * through the bench upstream (HTTP). Alternating rounds; p50 and p99 of each.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/latency-split.ts [--rounds 6] [--per-round 100]
 */
import { parseArgs } from 'node:util';
import { openComparison } from './comparison.js';
import { startEdgeStack } from './edge-stack.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    'per-round': { type: 'string', default: '100' },
  },
});
const stack = await startEdgeStack({ mediaFiles: { 'note.txt': new Uint8Array(128).fill(0x78) } });
const samples: Record<string, number[]> = {};
async function time(name: string, run: () => Promise<unknown>) {
  const started = performance.now();
  await run();
  samples[name] ??= [];
  samples[name].push(performance.now() - started);
}
async function body(response: Promise<Response>, length: number) {
  const bytes = (await (await response).arrayBuffer()).byteLength;
  if (bytes !== length) throw new Error(`expected ${length} bytes, got ${bytes}`);
}
const comparison = await openComparison(stack).catch(async (error) => {
  await stack.stop();
  throw error;
});
try {
  const { session, raw, direct } = comparison;
  const paths: [string, () => Promise<unknown>][] = [
    ['raw echo', () => raw.echo()],
    ["raw echo of the upstream's answer", () => raw.upstreamEcho(1)],
    ['PeerFetch, bench peer (no edge)', () => body(direct.fetch('/bytes?n=128'), 128)],
    ['PeerFetch, bench peer via HTTP upstream', () => body(direct.fetch('/up/small?i=1'), 128)],
    ['PeerFetch, edge device API file', () => body(session.fetch('/api/media/note.txt'), 128)],
    ['PeerFetch, edge via HTTP upstream', () => body(session.fetch('/up/small?i=1'), 128)],
    ['direct HTTP', () => body(fetch(`${stack.upstream.url}/small?i=1`), 128)],
  ];
  for (const [, run] of paths) for (let i = 0; i < 30; i++) await run();
  for (const key of Object.keys(samples)) delete samples[key];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [name, run] of paths) {
      for (let i = 0; i < Number(values['per-round']); i++) await time(name, run);
    }
  }
  for (const [name, list] of Object.entries(samples)) {
    console.log(
      `${name}: p50 ${percentile(list, 50).toFixed(2)} ms, p99 ${percentile(list, 99).toFixed(2)} ms (${list.length})`,
    );
  }
} finally {
  await comparison.close();
  await stack.stop();
}
process.exit(0);
