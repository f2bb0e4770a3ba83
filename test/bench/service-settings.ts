/**
 * Do the systemd unit's memory settings (a 1 MiB young generation, glibc's fixed mmap
 * threshold) cost latency or request rate? The latency and concurrency scenarios against a
 * fresh edge with and without them, alternating.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/service-settings.ts [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { runConcurrency } from './concurrency.js';
import { startEdgeStack } from './edge-stack.js';
import { runLatency } from './latency.js';
import { startBenchPeer } from './peer-client.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
for (let round = 0; round < Number(values.rounds); round++) {
  for (const serviceSettings of [false, true]) {
    const stack = await startEdgeStack({ serviceSettings });
    const benchPeer = await startBenchPeer(stack.signaling.port);
    try {
      const latency = await runLatency(stack, benchPeer, { rounds: 2, downloadMiB: 16 });
      const concurrency = await runConcurrency(stack, { repetitions: 1 });
      const label = serviceSettings ? 'systemd unit settings' : 'plain Node';
      console.log(`${label}:`);
      for (const row of [...latency.rows, ...concurrency.rows])
        console.log(`  ${row.scenario}: ${row.subject} (${row.figure})`);
    } finally {
      await benchPeer.stop();
      await stack.stop();
    }
  }
}
process.exit(0);
