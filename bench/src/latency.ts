/**
 * Latency of a small GET (the upstream answers 128 bytes) through the edge, against a raw
 * DataChannel echo of 128 bytes and a direct HTTP request to the upstream; and head-of-line
 * blocking: the same small GET while a 64 MiB download runs on the same session.
 */

import type { EdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import type { ClientSession } from '@peerfetch/test/helpers/pairing.js';
import { smallBody } from '@peerfetch/test/helpers/pattern-upstream.js';
import { createNodePeer } from '@peerfetch/test/helpers/peerjs-node.js';
import { policyOf } from './node-throughput.js';
import { type BenchPeer, drain, openRaw } from './peer-client.js';
import { MiB, percentile } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface Percentiles {
  p50: number;
  p99: number;
  samples: number;
}

export interface LatencyResult {
  rawEchoMs: Percentiles;
  /** The bench peer answers each raw message with the upstream's answer (`raw-proxy.ts`). */
  rawUpstreamEchoMs: Percentiles;
  directHttpMs: Percentiles;
  peerFetchMs: Percentiles;
  headOfLine: { idleMs: Percentiles; duringDownloadMs: Percentiles; downloadMiB: number };
}

export function percentiles(values: number[]): Percentiles {
  return { p50: percentile(values, 50), p99: percentile(values, 99), samples: values.length };
}

let counter = 0;

/** One small GET through the session; checks the body is the one asked for. */
async function smallGet(session: ClientSession): Promise<number> {
  const i = ++counter;
  const started = performance.now();
  const response = await session.fetch(`/up/small?i=${i}`);
  const text = await response.text();
  const ms = performance.now() - started;
  if (text !== smallBody(i)) throw new Error(`small GET ${i}: unexpected body`);
  return ms;
}

async function directHttp(url: string): Promise<number> {
  const i = ++counter;
  const started = performance.now();
  const text = await (await fetch(`${url}/small?i=${i}`)).text();
  const ms = performance.now() - started;
  if (text !== smallBody(i)) throw new Error(`direct GET ${i}: unexpected body`);
  return ms;
}

export async function runLatency(
  stack: EdgeStack,
  benchPeer: BenchPeer,
  options: { rounds?: number; perRound?: number; downloadMiB?: number } = {},
): Promise<{ result: LatencyResult; rows: TargetRow[] }> {
  const rounds = options.rounds ?? 6;
  const perRound = options.perRound ?? 50;
  const downloadMiB = options.downloadMiB ?? 64;
  const { peer } = await createNodePeer({ port: stack.signaling.port });
  const session = await stack.session();
  const raw = await openRaw(peer, benchPeer.id, policyOf(session), {
    sources: { upstreamUrl: stack.upstream.url },
  });
  const echo: number[] = [];
  const upstreamEcho: number[] = [];
  const http: number[] = [];
  const subject: number[] = [];
  const during: number[] = [];
  try {
    // Warm up every path (JIT, keep-alive connections) before measuring.
    for (let i = 0; i < 20; i++) {
      await raw.echo();
      await raw.upstreamEcho(++counter);
      await directHttp(stack.upstream.url);
      await smallGet(session);
    }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < perRound; i++) echo.push(await raw.echo());
      for (let i = 0; i < perRound; i++) upstreamEcho.push(await raw.upstreamEcho(++counter));
      for (let i = 0; i < perRound; i++) http.push(await directHttp(stack.upstream.url));
      for (let i = 0; i < perRound; i++) subject.push(await smallGet(session));
    }
    const bytes = downloadMiB * MiB;
    let downloading = true;
    const download = (async () => {
      try {
        const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
        if (received !== bytes) throw new Error(`download: ${received} of ${bytes} bytes`);
      } finally {
        downloading = false;
      }
    })();
    download.catch(() => {}); // reported by the await below
    while (downloading) during.push(await smallGet(session));
    await download;
  } finally {
    raw.close();
    await session.close();
    peer.destroy();
  }
  const result: LatencyResult = {
    rawEchoMs: percentiles(echo),
    rawUpstreamEchoMs: percentiles(upstreamEcho),
    directHttpMs: percentiles(http),
    peerFetchMs: percentiles(subject),
    headOfLine: {
      idleMs: percentiles(subject),
      duringDownloadMs: percentiles(during),
      downloadMiB,
    },
  };
  const ms = (p: Percentiles) => `p50 ${fmt(p.p50, 2)} / p99 ${fmt(p.p99, 2)} ms`;
  const hol = result.headOfLine.duringDownloadMs;
  const rows: TargetRow[] = [
    {
      scenario: 'latency, small GET (128 B)',
      subject: ms(result.peerFetchMs),
      baseline: `raw echo ${ms(result.rawEchoMs)}; direct HTTP ${ms(result.directHttpMs)}`,
      figure: `p50 +${fmt(result.peerFetchMs.p50 - result.rawEchoMs.p50, 2)} ms over raw echo`,
      target: 'p50 ≤ raw echo p50 + 1 ms',
      met: result.peerFetchMs.p50 <= result.rawEchoMs.p50 + 1,
    },
    {
      scenario: 'latency, small GET (128 B)',
      subject: ms(result.peerFetchMs),
      baseline: `raw echo of the upstream's answer ${ms(result.rawUpstreamEchoMs)}`,
      figure: `p50 +${fmt(result.peerFetchMs.p50 - result.rawUpstreamEchoMs.p50, 2)} ms: the protocol's own`,
      // Reported: the target above is the issue's, and it counts the HTTP hop in.
      target: 'reported',
      met: null,
    },
    {
      scenario: `head-of-line, small GET during ${downloadMiB} MiB download`,
      subject: `${ms(hol)} (${hol.samples} GETs)`,
      baseline: `idle session ${ms(result.peerFetchMs)}`,
      figure: `p99 ${fmt(hol.p99, 1)} ms`,
      target: 'p99 ≤ 50 ms',
      met: hol.p99 <= 50,
    },
  ];
  return { result, rows };
}
