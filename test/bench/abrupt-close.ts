/**
 * How often does a client that closes its peer connection in the middle of a download take
 * the edge down, and how soon is it serving again? See abrupt-close-trials.ts for one trial.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/abrupt-close.ts [--trials 200]
 *        [--goodbye-ms N] [--max-message-size BYTES] [--unsupervised]
 *
 * `--unsupervised` runs the edge as one process (`start --no-supervise`): a crash is a death.
 */
import { parseArgs } from 'node:util';
import { runAbruptCloses } from './abrupt-close-trials.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '200' },
    'goodbye-ms': { type: 'string' },
    'max-message-size': { type: 'string' },
    unsupervised: { type: 'boolean', default: false },
  },
});
const goodbyeMs = values['goodbye-ms'] === undefined ? undefined : Number(values['goodbye-ms']);
const maxMessageSize =
  values['max-message-size'] === undefined ? undefined : Number(values['max-message-size']);

const r = await runAbruptCloses({
  trials: Number(values.trials),
  goodbyeMs,
  maxMessageSize,
  supervised: !values.unsupervised,
  log: (line) => console.log(line),
});

const how = goodbyeMs === undefined ? 'no goodbye' : `GOAWAY ${goodbyeMs} ms before`;
const size = maxMessageSize ? `, messages ≤ ${maxMessageSize} B` : '';
const pct = (n: number) => `${((100 * n) / r.trials).toFixed(0)} %`;
console.log(
  `closed mid-download (${how}${size}, ${values.unsupervised ? 'unsupervised' : 'supervised'}): ${r.abrupt} of ${r.trials} closes abrupt (no GOAWAY, mid-transfer)`,
);
if (r.interrupted)
  console.log(`${r.interrupted} trials cut short by a crash before the client closed`);
console.log(`largest message the edge sent: ${r.largestMessage} B`);
console.log(`edge deaths: ${r.deaths} of ${r.trials} (${pct(r.deaths)})`);
if (!values.unsupervised) {
  console.log(
    `serving-process crashes, restarted: ${r.crashes} of ${r.trials} (${pct(r.crashes)})`,
  );
  if (r.recoveries.length) {
    const registered = r.recoveries.map((x) => x.registeredMs);
    const request = r.recoveries.map((x) => x.requestMs);
    const stat = (v: number[]) =>
      `p50 ${percentile(v, 50).toFixed(0)} ms, max ${Math.max(...v).toFixed(0)} ms`;
    console.log(`serving again under the same id after a crash: ${stat(registered)}`);
    console.log(`a paired client's GET completed after a crash: ${stat(request)}`);
  }
}
// wrtc keeps native threads alive after the last peer closes.
process.exit(0);
