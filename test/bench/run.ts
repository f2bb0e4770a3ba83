/**
 * `npm run bench`: runs every scenario (inside a loopback-only network namespace), writes
 * bench/results/latest.json with the figures and the machine's facts, and prints a table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as inMemory } from './in-memory-throughput.js';
import { run as signalingCapacity, toMarkdown as signalingMarkdown } from './signaling-capacity.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
};

const memory = await inMemory();
console.log('\n## PeerFetch over the in-memory channel\n');
console.log('| scenario | raw MiB/s | PeerFetch MiB/s | ratio | spread raw / PeerFetch |');
console.log('|---|---|---|---|---|');
console.log(
  `| ${memory.scenario}, ${memory.sizeMiB} MiB × ${memory.repetitions} | ${memory.rawMiBps.toFixed(1)} | ${memory.peerFetchMiBps.toFixed(1)} | ${memory.ratio.toFixed(2)} | ${(memory.rawSpread * 100).toFixed(0)} % / ${(memory.peerFetchSpread * 100).toFixed(0)} % |`,
);

const signaling = await signalingCapacity({});
console.log('\n## Signaling capacity\n');
console.log(signalingMarkdown(signaling));

const results = { machine, inMemory: memory, signaling };
await mkdir(path.join(root, 'bench/results'), { recursive: true });
await writeFile(
  path.join(root, 'bench/results/latest.json'),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log(`\nwritten to bench/results/latest.json`);
