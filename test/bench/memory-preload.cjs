// Preloaded into the edge (NODE_OPTIONS=--require) by memory-breakdown.ts: samples
// process.memoryUsage() every 100 ms and writes the peak of each part to
// PEERFETCH_MEMORY_LOG when the process exits, to tell V8's heap from native memory.
const fs = require('node:fs');

const file = process.env.PEERFETCH_MEMORY_LOG;
if (file) {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], now[key]);
  }, 100);
  timer.unref();
  process.once('exit', () => {
    const mib = Object.fromEntries(
      Object.entries(peak).map(([k, v]) => [k, Math.round(v / 2 ** 20)]),
    );
    fs.writeFileSync(file, `${JSON.stringify(mib)}\n`);
  });
}
