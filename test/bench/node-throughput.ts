/**
 * Download and upload, edge → Node client and back, against the raw DataChannel and PeerJS
 * `binary` between this process and the bench peer (a child process, as the edge is), with
 * the same frame size and high/low-water policy. Baseline and subject alternate.
 */
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_FRAME_SIZE,
} from '@peerfetch/shared';
import type { ClientSession } from '../helpers/pairing.js';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { PATTERN } from './bench-upstream.js';
import type { EdgeStack } from './edge-stack.js';
import { type BenchPeer, drain, openBinary, openRaw } from './peer-client.js';
import type { SendPolicy } from './raw-channel.js';
import { MiB, mibPerSecond, type Summary, summarize } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface ThroughputResult {
  sizeMiB: number;
  repetitions: number;
  frameSize: number;
  downloadMiBps: { raw: Summary; peerjsBinary: Summary; peerFetch: Summary; file?: Summary };
  uploadMiBps: { raw: Summary; peerFetch: Summary };
  downloadRatio: number;
  uploadRatio: number;
}

/** The policy a session uses by default, with the frame size wrtc negotiates. */
export function defaultPolicy(maxMessageSize: number): SendPolicy {
  return {
    frameSize: Math.min(DEFAULT_MAX_FRAME_SIZE, maxMessageSize),
    highWaterMark: DEFAULT_HIGH_WATER_MARK,
    lowWaterMark: DEFAULT_LOW_WATER_MARK,
  };
}

function uploadBody(bytes: number): Blob {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let n = 0; n < bytes; n += PATTERN.byteLength)
    parts.push(PATTERN.subarray(0, Math.min(PATTERN.byteLength, bytes - n)));
  return new Blob(parts);
}

/** The default policy at the message size this session's connection negotiated. */
export function policyOf(session: ClientSession): SendPolicy {
  const pc = session.connection.peerConnection as unknown as { sctp?: { maxMessageSize?: number } };
  return defaultPolicy(pc.sctp?.maxMessageSize ?? 65536);
}

export async function runNodeThroughput(
  stack: EdgeStack,
  benchPeer: BenchPeer,
  options: {
    sizeMiB?: number;
    repetitions?: number;
    /** A file of `sizeMiB` in the edge's media folder: also download it via the device API. */
    mediaFile?: string;
  } = {},
): Promise<{ result: ThroughputResult; rows: TargetRow[] }> {
  const sizeMiB = options.sizeMiB ?? 64;
  const repetitions = options.repetitions ?? 5;
  const bytes = sizeMiB * MiB;
  const { peer } = await createNodePeer({ port: stack.signaling.port });
  const session = await stack.session();
  const policy = policyOf(session);
  const raw = await openRaw(peer, benchPeer.id, policy);
  const binary = await openBinary(peer, benchPeer.id, policy);
  const down = {
    raw: [] as number[],
    binary: [] as number[],
    peerFetch: [] as number[],
    file: [] as number[],
  };
  const up = { raw: [] as number[], peerFetch: [] as number[] };
  const upload = uploadBody(bytes);
  try {
    for (let i = 0; i < repetitions; i++) {
      down.raw.push(mibPerSecond(bytes, await raw.download(bytes)));
      let started = performance.now();
      const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
      if (received !== bytes) throw new Error(`download: ${received} of ${bytes} bytes`);
      down.peerFetch.push(mibPerSecond(bytes, performance.now() - started));
      down.binary.push(mibPerSecond(bytes, await binary.download(bytes)));
      if (options.mediaFile) {
        started = performance.now();
        const fileBytes = await drain(await session.fetch(`/api/media/${options.mediaFile}`));
        if (fileBytes !== bytes) throw new Error(`file download: ${fileBytes} of ${bytes} bytes`);
        down.file.push(mibPerSecond(bytes, performance.now() - started));
      }

      up.raw.push(mibPerSecond(bytes, await raw.upload(bytes)));
      started = performance.now();
      const answer = await session.fetch('/up/upload', { method: 'POST', body: upload });
      const counted = ((await answer.json()) as { bytes: number }).bytes;
      if (counted !== bytes) throw new Error(`upload: the upstream got ${counted} of ${bytes}`);
      up.peerFetch.push(mibPerSecond(bytes, performance.now() - started));
    }
  } finally {
    raw.close();
    binary.close();
    await session.close();
    peer.destroy();
  }
  const result: ThroughputResult = {
    sizeMiB,
    repetitions,
    frameSize: policy.frameSize,
    downloadMiBps: {
      raw: summarize(down.raw),
      peerjsBinary: summarize(down.binary),
      peerFetch: summarize(down.peerFetch),
      ...(down.file.length > 0 ? { file: summarize(down.file) } : {}),
    },
    uploadMiBps: { raw: summarize(up.raw), peerFetch: summarize(up.peerFetch) },
    downloadRatio: summarize(down.peerFetch).median / summarize(down.raw).median,
    uploadRatio: summarize(up.peerFetch).median / summarize(up.raw).median,
  };
  const d = result.downloadMiBps;
  const u = result.uploadMiBps;
  const show = (s: Summary) => `${fmt(s.median)} MiB/s ±${fmt(s.spread * 50, 0)} %`;
  const rows: TargetRow[] = [
    {
      scenario: `download ${sizeMiB} MiB edge → Node`,
      subject: show(d.peerFetch),
      baseline: `raw ${show(d.raw)}`,
      figure: `${fmt(result.downloadRatio, 2)} × raw`,
      target: '≥ 0.90 × raw',
      met: result.downloadRatio >= 0.9,
    },
    {
      scenario: `download ${sizeMiB} MiB edge → Node`,
      subject: show(d.peerFetch),
      baseline: `PeerJS binary ${show(d.peerjsBinary)}`,
      figure: `${fmt(d.peerFetch.median / d.peerjsBinary.median, 2)} × binary`,
      target: '> PeerJS binary',
      met: d.peerFetch.median > d.peerjsBinary.median,
    },
    ...(d.file
      ? [
          {
            scenario: `download ${sizeMiB} MiB file from the edge's device API → Node`,
            subject: show(d.file),
            baseline: `raw ${show(d.raw)}`,
            figure: `${fmt(d.file.median / d.raw.median, 2)} × raw`,
            target: '≥ 0.90 × raw',
            met: d.file.median / d.raw.median >= 0.9,
          },
        ]
      : []),
    {
      scenario: `upload ${sizeMiB} MiB Node → edge`,
      subject: show(u.peerFetch),
      baseline: `raw ${show(u.raw)}`,
      figure: `${fmt(result.uploadRatio, 2)} × raw`,
      target: '≥ 0.90 × raw',
      met: result.uploadRatio >= 0.9,
    },
  ];
  return { result, rows };
}
