/**
 * Session setup: a new client (PeerJS peer registering with signaling, ICE, DTLS, the
 * PeerFetch handshake, authentication with the paired key) until its first response,
 * against a raw PeerJS peer registering and connecting until its DataChannel is open.
 */

import type { EdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import { smallBody } from '@peerfetch/test/helpers/pattern-upstream.js';
import { createNodePeer } from '@peerfetch/test/helpers/peerjs-node.js';
import { defaultPolicy } from './node-throughput.js';
import type { BenchPeer } from './peer-client.js';
import { openRaw } from './peer-client.js';
import { percentile } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface SetupResult {
  runs: number;
  peerFetchMs: { p50: number; p99: number; samples: number[] };
  rawPeerJsMs: { p50: number; p99: number; samples: number[] };
}

async function peerFetchSetup(stack: EdgeStack): Promise<number> {
  const started = performance.now();
  const session = await stack.session();
  try {
    const text = await (await session.fetch('/up/small?i=1')).text();
    if (text !== smallBody(1)) throw new Error('setup: unexpected first response');
    return performance.now() - started;
  } finally {
    await session.close();
  }
}

async function rawSetup(stack: EdgeStack, benchPeer: BenchPeer): Promise<number> {
  const started = performance.now();
  const { peer } = await createNodePeer({ port: stack.signaling.port });
  try {
    const raw = await openRaw(peer, benchPeer.id, defaultPolicy(65536));
    const ms = performance.now() - started;
    raw.close();
    return ms;
  } finally {
    peer.destroy();
  }
}

export async function runSessionSetup(
  stack: EdgeStack,
  benchPeer: BenchPeer,
  options: { runs?: number } = {},
): Promise<{ result: SetupResult; rows: TargetRow[] }> {
  const runs = options.runs ?? 20;
  const subject: number[] = [];
  const raw: number[] = [];
  await rawSetup(stack, benchPeer); // warm-up (module loading, first ICE)
  for (let i = 0; i < runs; i++) {
    raw.push(await rawSetup(stack, benchPeer));
    subject.push(await peerFetchSetup(stack));
  }
  const round = (v: number[]) => v.map((x) => Math.round(x * 10) / 10);
  const result: SetupResult = {
    runs,
    peerFetchMs: {
      p50: percentile(subject, 50),
      p99: percentile(subject, 99),
      samples: round(subject),
    },
    rawPeerJsMs: { p50: percentile(raw, 50), p99: percentile(raw, 99), samples: round(raw) },
  };
  const rows: TargetRow[] = [
    {
      scenario: `session setup, ${runs} runs`,
      subject: `p50 ${fmt(result.peerFetchMs.p50, 0)} ms / max ${fmt(result.peerFetchMs.p99, 0)} ms`,
      baseline: `raw PeerJS connect p50 ${fmt(result.rawPeerJsMs.p50, 0)} ms`,
      figure: `p50 ${fmt(result.peerFetchMs.p50, 0)} ms`,
      target: 'p50 ≤ 500 ms',
      met: result.peerFetchMs.p50 <= 500,
    },
  ];
  return { result, rows };
}
