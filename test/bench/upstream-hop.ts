/**
 * Is the download gap the upstream hop? 64 MiB edge → Node three ways, alternating: the raw
 * DataChannel baseline, PeerFetch from the HTTP upstream (`/up/bytes`), and PeerFetch from
 * a file the edge serves itself (`/api/media/...`, no HTTP hop).
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/upstream-hop.ts [--mib 64] [--repetitions 5]
 */
import { parseArgs } from 'node:util';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { PATTERN } from './bench-upstream.js';
import { startEdgeStack } from './edge-stack.js';
import { policyOf } from './node-throughput.js';
import { drain, openRaw, startBenchPeer } from './peer-client.js';
import { MiB, mibPerSecond, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '5' },
  },
});
const bytes = Number(values.mib) * MiB;
const stack = await startEdgeStack({
  mediaFiles: { 'bench.bin': Buffer.concat(Array.from({ length: bytes / MiB }, () => PATTERN)) },
});
const benchPeer = await startBenchPeer(stack.signaling.port);
const { peer } = await createNodePeer({ port: stack.signaling.port });
const session = await stack.session();
const raw = await openRaw(peer, benchPeer.id, policyOf(session));
const speeds = { raw: [] as number[], upstream: [] as number[], file: [] as number[] };
async function timed(path: string): Promise<number> {
  const started = performance.now();
  const received = await drain(await session.fetch(path));
  if (received !== bytes) throw new Error(`${path}: ${received} of ${bytes} bytes`);
  return mibPerSecond(bytes, performance.now() - started);
}
try {
  for (let i = 0; i < Number(values.repetitions); i++) {
    speeds.raw.push(mibPerSecond(bytes, await raw.download(bytes)));
    speeds.upstream.push(await timed(`/up/bytes?n=${bytes}`));
    speeds.file.push(await timed('/api/media/bench.bin'));
  }
} finally {
  raw.close();
  await session.close();
  peer.destroy();
  await benchPeer.stop();
  await stack.stop();
}
for (const [name, list] of Object.entries(speeds)) {
  const s = summarize(list);
  console.log(`${name}: median ${s.median.toFixed(1)} MiB/s, samples ${s.samples.join(', ')}`);
}
process.exit(0);
