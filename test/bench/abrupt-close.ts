/**
 * How often does a client that closes its peer connection in the middle of a download take
 * the edge down? @roamhq/wrtc frees a native channel on its signaling thread when a close
 * completes, while the edge's JavaScript may be inside `send` on it: SIGSEGV in
 * `RTCDataChannel::Send` (docs/SECURITY.md, Notes). Nothing in JavaScript
 * can close that window; the protocol's goodbye (GOAWAY, then closing only once the edge has
 * closed the channel, PROTOCOL.md §8) keeps well-behaved clients out of it.
 *
 * Each trial: a paired Node client starts a 1 GiB download through the edge's HTTP upstream,
 * reads 1–9 MiB of it, then closes its RTCPeerConnection, after saying GOAWAY `--goodbye-ms`
 * earlier when given (the client closes at once otherwise, with no goodbye). A dead edge is
 * counted and a fresh stack started.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/abrupt-close.ts [--trials 60] [--goodbye-ms 0]
 */
import { parseArgs } from 'node:util';
import { type EdgeStack, startEdgeStack } from './edge-stack.js';
import { MiB } from './stats.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '60' },
    'goodbye-ms': { type: 'string' },
  },
});
const trials = Number(values.trials);
const goodbyeMs = values['goodbye-ms'] === undefined ? undefined : Number(values['goodbye-ms']);
/** Time for the edge to act on the close (or die of it) before the next trial. */
const SETTLE_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One trial; true when the edge died of it. */
async function trial(stack: EdgeStack): Promise<boolean> {
  const client = await stack.session();
  const response = await client.fetch(`/up/bytes?n=${1024 * MiB}`);
  const reader = response.body!.getReader();
  const wanted = (1 + Math.random() * 8) * MiB;
  for (let got = 0; got < wanted; ) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the download ended early');
    got += value.byteLength;
  }
  if (goodbyeMs !== undefined) {
    client.session.close();
    await sleep(goodbyeMs);
  }
  // Null once PeerJS has closed the connection (the edge closed the channel after GOAWAY).
  client.connection.peerConnection?.close();
  client.peer.destroy();
  await sleep(SETTLE_MS);
  return !stack.edge.running();
}

let stack = await startEdgeStack();
let crashes = 0;
try {
  for (let i = 0; i < trials; i++) {
    if (!(await trial(stack))) continue;
    crashes++;
    console.log(`trial ${i + 1}: the edge died (${stack.edge.process.signalCode ?? 'exit'})`);
    await stack.stop().catch(() => {});
    stack = await startEdgeStack();
  }
} finally {
  await stack.stop().catch(() => {});
}
const how = goodbyeMs === undefined ? 'no goodbye' : `GOAWAY ${goodbyeMs} ms before`;
console.log(
  `closed mid-download (${how}): the edge died in ${crashes} of ${trials} trials (${((100 * crashes) / trials).toFixed(0)} %)`,
);
process.exit(0);
