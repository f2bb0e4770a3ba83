/**
 * What do V8 flags and glibc's malloc tunables do to the edge's peak RSS? The memory
 * scenario (a download to a slow reader) against a fresh edge per setting, alternating:
 * plain Node, the systemd unit's settings (as `npm run bench` runs the edge), and, when
 * given, other flags (NODE_OPTIONS) and environment.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/memory-flags.ts [--mib 512] [--rounds 2]
 *     [--flags=--max-semi-space-size=2] [--env MALLOC_MMAP_THRESHOLD_=131072]
 */
import { parseArgs } from 'node:util';
import { type EdgeStackOptions, serviceEnvironment, startEdgeStack } from './edge-stack.js';
import { runMemory } from './memory.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '512' },
    rounds: { type: 'string', default: '2' },
    flags: { type: 'string', default: '' },
    /** More environment for the second variant, as NAME=value,NAME=value. */
    env: { type: 'string', default: '' },
  },
});
const extraEnv = Object.fromEntries(
  values.env
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]),
);
const variants: [string, EdgeStackOptions][] = [
  ['plain Node', { serviceSettings: false }],
  [`systemd unit (${JSON.stringify(serviceEnvironment())})`, {}],
];
if (values.flags || values.env) {
  const edgeEnv: Record<string, string> = { ...extraEnv };
  if (values.flags) edgeEnv.NODE_OPTIONS = values.flags;
  variants.push([`${values.flags} ${values.env}`, { serviceSettings: false, edgeEnv }]);
}
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [label, stackOptions] of variants) {
    const stack = await startEdgeStack(stackOptions);
    try {
      const { result } = await runMemory(stack, await stack.edge.rssBytes(), {
        downloadMiB: Number(values.mib),
      });
      console.log(
        `${label}: idle ${result.idleRssMiB.toFixed(0)} MiB, peak ${result.peakRssMiB.toFixed(0)} MiB, after ${result.afterRssMiB.toFixed(0)} MiB, ${result.seconds.toFixed(1)} s`,
      );
    } finally {
      await stack.stop();
    }
  }
}
process.exit(0);
