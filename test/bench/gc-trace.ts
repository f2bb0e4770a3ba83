/**
 * Garbage collections in the edge while it serves one large download, by kind and reason
 * (from --trace-gc), and its RSS and ArrayBuffers over time: does the body's path leave
 * buffers that only a full collection frees, and how much memory waits for it?
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/gc-trace.ts [--mib 256] [--path http|file]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PATTERN } from './bench-upstream.js';
import { serviceEnvironment, startEdgeStack } from './edge-stack.js';
import { drain } from './peer-client.js';
import { MiB } from './stats.js';

const { values } = parseArgs({
  options: { mib: { type: 'string', default: '256' }, path: { type: 'string', default: 'http' } },
});
const bytes = Number(values.mib) * MiB;
const dir = await mkdtemp(join(tmpdir(), 'pf-gc-trace-'));
const log = join(dir, 'memory.json');
const preload = join(import.meta.dirname, 'gc-trace-preload.cjs');
const unitOptions = serviceEnvironment().NODE_OPTIONS ?? '';
const stack = await startEdgeStack({
  mediaFiles:
    values.path === 'file'
      ? { 'bench.bin': Buffer.concat(Array.from({ length: bytes / MiB }, () => PATTERN)) }
      : undefined,
  edgeEnv: {
    NODE_OPTIONS: `${unitOptions} --require ${preload}`,
    PEERFETCH_GC_TRACE_LOG: log,
  },
});
try {
  const session = await stack.session();
  const from = stack.edge.logs.length;
  const started = performance.now();
  const path = values.path === 'file' ? '/api/media/bench.bin' : `/up/bytes?n=${bytes}`;
  const received = await drain(await session.fetch(path));
  const ms = performance.now() - started;
  if (received !== bytes) throw new Error(`${received} of ${bytes} bytes`);
  await session.close();
  const kinds = new Map<string, number>();
  for (const line of stack.edge.logs.slice(from)) {
    const text = String((line as { raw?: unknown }).raw ?? '');
    const kind = /ms: (Scavenge|Mark-Compact|Minor Mark-Compact)/.exec(text)?.[1];
    if (!kind) continue;
    const reason = text.split(/;\s*/).pop()?.trim() ?? '';
    const key = `${kind}: ${reason}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  await stack.stop();
  const samples = JSON.parse(await readFile(log, 'utf8')) as {
    rss: number;
    arrayBuffers: number;
  }[];
  const peak = (key: 'rss' | 'arrayBuffers') => Math.max(...samples.map((s) => s[key])) / MiB;
  console.log(
    `${values.path}, ${values.mib} MiB in ${(ms / 1000).toFixed(1)} s: peak RSS ${peak('rss').toFixed(0)} MiB, peak ArrayBuffers ${peak('arrayBuffers').toFixed(0)} MiB`,
  );
  for (const [key, count] of [...kinds].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(count).padStart(5)}  ${key}`);
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
