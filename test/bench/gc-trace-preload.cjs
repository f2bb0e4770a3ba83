// Preloaded into the edge (NODE_OPTIONS=--require) by gc-trace.ts: turns on --trace-gc (not
// allowed in NODE_OPTIONS itself) and samples process.memoryUsage() every 50 ms, written to
// PEERFETCH_GC_TRACE_LOG as JSON when the process exits.
const fs = require('node:fs');
const v8 = require('node:v8');

v8.setFlagsFromString('--trace-gc');
const file = process.env.PEERFETCH_GC_TRACE_LOG;
if (file) {
  const samples = [];
  const started = Date.now();
  const timer = setInterval(() => {
    const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
    samples.push({ ms: Date.now() - started, rss, heapUsed, arrayBuffers });
  }, 50);
  timer.unref();
  process.once('exit', () => fs.writeFileSync(file, JSON.stringify(samples)));
}
