/**
 * CPU per small request, the edge's JavaScript alone: a client and a server session joined
 * by an in-memory channel in this process (no WebRTC, no other process to wait for), 64 in
 * flight, every body checked. Variants, alternated:
 *
 * - `protocol`: the server answers 128 bytes itself (the sessions and serveRequests only);
 * - `edge handler`: the edge's router and upstream handler, to the bench upstream over HTTP
 *   (its own process; its CPU is not counted);
 * - `direct HTTP`: the same HTTP requests from node:http with no PeerFetch at all.
 *
 * CPU is this process's user + system time, so noise from other processes matters less
 * than in a throughput figure.
 *
 *   npx tsx test/bench/request-cost.ts [--requests 20000] [--repetitions 5]
 */
import { Agent, request as httpRequest } from 'node:http';
import { parseArgs } from 'node:util';
import { createRouter, createUpstreamHandler } from '@peerfetch/edge';
import { BufferedResponse, connectInMemory, type PeerFetch } from '@peerfetch/shared';
import { smallBody, startBenchUpstream } from './bench-upstream.js';
import { summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    repetitions: { type: 'string', default: '5' },
  },
});
const REQUESTS = Number(values.requests);
const IN_FLIGHT = 64;

/** Runs `count` requests with `IN_FLIGHT` at once; returns this process's CPU µs per request. */
async function cpuPerRequest(count: number, one: (i: number) => Promise<string>) {
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const i = next++;
        if ((await one(i)) !== smallBody(i)) throw new Error(`request ${i}: unexpected body`);
      }
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

function viaPeerFetch(client: PeerFetch, path: string) {
  return async (i: number) => (await client.fetch(`${path}?i=${i}`)).text();
}

const upstream = await startBenchUpstream();
const agent = new Agent({ keepAlive: true });
const encoder = new TextEncoder();
const protocolOnly = connectInMemory(async (request) => {
  const i = new URL(request.url).searchParams.get('i') ?? '';
  return new BufferedResponse(encoder.encode(smallBody(Number(i))), {
    headers: { 'content-type': 'text/plain' },
  });
});
const throughEdge = connectInMemory(
  createRouter([
    {
      prefix: '/up',
      handler: createUpstreamHandler({
        baseUrl: upstream.url,
        label: '/up',
        timeoutMs: 30_000,
        maxBodyBytes: 1024 * 1024,
      }),
    },
  ]),
);
const variants: Record<string, (i: number) => Promise<string>> = {
  protocol: viaPeerFetch(protocolOnly.client, '/small'),
  'edge handler': viaPeerFetch(throughEdge.client, '/up/small'),
  'direct HTTP': (i) =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${upstream.url}/small?i=${i}`, { agent }, (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          text += chunk;
        });
        answer.on('end', () => resolve(text));
        answer.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end();
    }),
};
try {
  const samples = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  for (const one of Object.values(variants)) await cpuPerRequest(REQUESTS / 4, one); // warm-up
  for (let r = 0; r < Number(values.repetitions); r++) {
    for (const [name, one] of Object.entries(variants)) {
      samples.get(name)!.push(await cpuPerRequest(REQUESTS, one));
    }
  }
  console.log(`CPU µs per request, ${REQUESTS} GETs, ${IN_FLIGHT} in flight (median, samples):`);
  for (const [name, list] of samples) {
    console.log(
      `  ${name.padEnd(14)} ${summarize(list).median.toFixed(1).padStart(6)}   ${list.map((v) => v.toFixed(1)).join(', ')}`,
    );
  }
} finally {
  await protocolOnly.close();
  await throughEdge.close();
  agent.destroy();
  await upstream.stop();
}
