/**
 * 2,000 small GETs through one session, 64 in flight, every body checked; against the same
 * requests one at a time, as Ambianic's PeerFetch did, and against 64 in flight on a
 * session that opts out of BATCH (what packing frames gains). Alternated, twice each, after
 * a warm-up.
 */

import type { EdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import type { ClientSession } from '@peerfetch/test/helpers/pairing.js';
import { smallBody } from '@peerfetch/test/helpers/pattern-upstream.js';
import { type Summary, summarize } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface ConcurrencyResult {
  requests: number;
  inFlight: number;
  concurrentReqPerSec: Summary;
  oneAtATimeReqPerSec: Summary;
  ratio: number;
  /** The same 64 in flight on a session that opts out of BATCH: what packing frames gains. */
  concurrentWithoutBatchReqPerSec: Summary;
}

/** Runs `requests` GETs with at most `inFlight` at once; returns requests per second. */
export async function burst(
  session: ClientSession,
  requests: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const text = await (await session.fetch(`/up/small?i=${i}`)).text();
      if (text !== smallBody(i)) throw new Error(`request ${i}: unexpected body`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return requests / ((performance.now() - started) / 1000);
}

export async function runConcurrency(
  stack: EdgeStack,
  options: { requests?: number; inFlight?: number; repetitions?: number } = {},
): Promise<{ result: ConcurrencyResult; rows: TargetRow[] }> {
  const requests = options.requests ?? 2000;
  const inFlight = options.inFlight ?? 64;
  const repetitions = options.repetitions ?? 2;
  const sequential: number[] = [];
  const concurrent: number[] = [];
  const unpacked: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const session = await stack.session();
    try {
      if (r === 0) {
        // Warm up both paths first: the edge's and this process's JIT need some thousands
        // of requests (bursts of 3,000 measured 1,700–2,200 req/s cold, 3,400–4,000 warm).
        await burst(session, requests, inFlight);
        await burst(session, 200, 1);
      }
      sequential.push(await burst(session, requests, 1));
      concurrent.push(await burst(session, requests, inFlight));
    } finally {
      await session.close();
    }
    const withoutBatch = await stack.session({ sessionOptions: { batch: false } });
    try {
      unpacked.push(await burst(withoutBatch, requests, inFlight));
    } finally {
      await withoutBatch.close();
    }
  }
  const result: ConcurrencyResult = {
    requests,
    inFlight,
    concurrentReqPerSec: summarize(concurrent),
    oneAtATimeReqPerSec: summarize(sequential),
    ratio: summarize(concurrent).median / summarize(sequential).median,
    concurrentWithoutBatchReqPerSec: summarize(unpacked),
  };
  const rows: TargetRow[] = [
    {
      scenario: `concurrency, ${requests} GETs, ${inFlight} in flight`,
      subject: `${fmt(result.concurrentReqPerSec.median, 0)} req/s`,
      baseline: `one at a time ${fmt(result.oneAtATimeReqPerSec.median, 0)} req/s; without BATCH ${fmt(result.concurrentWithoutBatchReqPerSec.median, 0)} req/s`,
      figure: `${fmt(result.ratio, 1)} ×`,
      target: '≥ 5 × one at a time',
      met: result.ratio >= 5,
    },
  ];
  return { result, rows };
}
