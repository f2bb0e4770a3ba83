/**
 * Runs one scenario against an edge started with `--cpu-prof` and prints where the edge's
 * time went (the profile is kept in bench/results/profiles/).
 *
 * `burst` profiles only bursts of 2,000 GETs at 64 in flight (what the concurrency target
 * measures), without the one-at-a-time and no-BATCH phases; `small` only 3,000 small GETs one
 * at a time (the latency target's path, without its head-of-line download); `upload` only
 * eight 64 MiB uploads to the HTTP upstream.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/profile-edge.ts concurrency|burst|small|upload|latency|download
 */
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { burst, runConcurrency } from './concurrency.js';
import { summarizeProfile } from './cpu-profile-summary.js';
import { startEdgeStack } from './edge-stack.js';
import { runLatency } from './latency.js';
import { runNodeThroughput } from './node-throughput.js';
import { startBenchPeer } from './peer-client.js';

const scenario = process.argv[2] ?? 'concurrency';
const dir = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../bench/results/profiles',
  `${scenario}-${Date.now()}`,
);
await mkdir(dir, { recursive: true });
const stack = await startEdgeStack({ cpuProfileDir: dir });
const benchPeer = await startBenchPeer(stack.signaling.port);
try {
  if (scenario === 'concurrency') await runConcurrency(stack, { repetitions: 1 });
  else if (scenario === 'burst') {
    const session = await stack.session();
    for (let i = 0; i < 4; i++) await burst(session, 2000, 64);
    await session.close();
  } else if (scenario === 'small') {
    const session = await stack.session();
    for (let i = 0; i < 3000; i++) await (await session.fetch(`/up/small?i=${i}`)).text();
    await session.close();
  } else if (scenario === 'upload') {
    const session = await stack.session();
    const body = new Uint8Array(64 * 2 ** 20).fill(7);
    for (let i = 0; i < 8; i++)
      await (await session.fetch('/up/upload', { method: 'POST', body })).text();
    await session.close();
  } else if (scenario === 'latency') await runLatency(stack, benchPeer, { rounds: 4 });
  else await runNodeThroughput(stack, benchPeer, { sizeMiB: 64, repetitions: 2 });
} finally {
  await benchPeer.stop();
  await stack.stop();
}
for (const file of await readdir(dir))
  if (file.endsWith('.cpuprofile')) console.log(await summarizeProfile(join(dir, file)));
process.exit(0);
