/**
 * Where the edge's memory goes during the memory scenario: V8 heap and ArrayBuffers
 * against RSS (the rest is native: libwebrtc, usrsctp, glibc's arenas), with the default
 * allocator and with MALLOC_ARENA_MAX=2.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/memory-breakdown.ts [--mib 512]
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEdgeStack } from './edge-stack.js';
import { runMemory } from './memory.js';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '512' } } });
const dir = await mkdtemp(join(tmpdir(), 'pf-memory-'));
for (const [label, edgeEnv] of [
  ['default allocator', {}],
  ['MALLOC_ARENA_MAX=2', { MALLOC_ARENA_MAX: '2' }],
] as const) {
  const memoryLog = join(dir, `${label.replace(/\W+/g, '-')}.json`);
  const stack = await startEdgeStack({ memoryLog, edgeEnv });
  try {
    const { result } = await runMemory(stack, await stack.edge.rssBytes(), {
      downloadMiB: Number(values.mib),
    });
    await stack.stop();
    const parts = JSON.parse(await readFile(memoryLog, 'utf8'));
    console.log(
      `${label}: idle ${result.idleRssMiB.toFixed(0)} MiB, peak RSS ${result.peakRssMiB.toFixed(0)} MiB, after ${result.afterRssMiB.toFixed(0)} MiB; peaks by part (MiB): ${JSON.stringify(parts)}`,
    );
  } finally {
    await stack.stop();
  }
}
process.exit(0);
