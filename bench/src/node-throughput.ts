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
import { type EdgeStack, mediaFilePath } from '@peerfetch/test/helpers/edge-stack.js';
import type { ClientSession } from '@peerfetch/test/helpers/pairing.js';
import { PATTERN } from '@peerfetch/test/helpers/pattern-upstream.js';
import { createNodePeer } from '@peerfetch/test/helpers/peerjs-node.js';
import { type BenchPeer, drain, openBinary, openRaw } from './peer-client.js';
import type { SendPolicy } from './raw-channel.js';
import { MiB, mibPerSecond, type Summary, summarize } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface ThroughputResult {
  sizeMiB: number;
  repetitions: number;
  frameSize: number;
  /**
   * `raw` sends from memory; `rawUpstream` and `rawFile` carry the bytes PeerFetch carries
   * (the pattern upstream's answer, the media file) over the bare channel (`raw-proxy.ts`).
   */
  downloadMiBps: {
    raw: Summary;
    rawUpstream: Summary;
    peerjsBinary: Summary;
    peerFetch: Summary;
    rawFile?: Summary;
    file?: Summary;
  };
  uploadMiBps: { raw: Summary; rawUpstream: Summary; peerFetch: Summary };
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
  const mediaPath = mediaFilePath(stack, options.mediaFile);
  const { peer } = await createNodePeer({ port: stack.signaling.port });
  const session = await stack.session();
  const policy = policyOf(session);
  const raw = await openRaw(peer, benchPeer.id, policy, {
    sources: { upstreamUrl: stack.upstream.url, ...(mediaPath ? { mediaPath } : {}) },
  });
  const binary = await openBinary(peer, benchPeer.id, policy);
  const samples = () => [] as number[];
  const down = {
    raw: samples(),
    rawUpstream: samples(),
    binary: samples(),
    peerFetch: samples(),
    rawFile: samples(),
    file: samples(),
  };
  const up = { raw: samples(), rawUpstream: samples(), peerFetch: samples() };
  const rate = (ms: number) => mibPerSecond(bytes, ms);
  const upload = uploadBody(bytes);
  try {
    for (let i = 0; i < repetitions; i++) {
      down.raw.push(rate(await raw.download(bytes)));
      down.rawUpstream.push(rate(await raw.upstreamDownload(bytes)));
      let started = performance.now();
      const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
      if (received !== bytes) throw new Error(`download: ${received} of ${bytes} bytes`);
      down.peerFetch.push(rate(performance.now() - started));
      down.binary.push(rate(await binary.download(bytes)));
      if (mediaPath) {
        down.rawFile.push(rate(await raw.fileDownload(bytes)));
        started = performance.now();
        const fileBytes = await drain(await session.fetch(`/api/media/${options.mediaFile}`));
        if (fileBytes !== bytes) throw new Error(`file download: ${fileBytes} of ${bytes} bytes`);
        down.file.push(rate(performance.now() - started));
      }

      up.raw.push(rate(await raw.upload(bytes)));
      up.rawUpstream.push(rate(await raw.upstreamUpload(bytes)));
      started = performance.now();
      const answer = await session.fetch('/up/upload', { method: 'POST', body: upload });
      const counted = ((await answer.json()) as { bytes: number }).bytes;
      if (counted !== bytes) throw new Error(`upload: the upstream got ${counted} of ${bytes}`);
      up.peerFetch.push(rate(performance.now() - started));
    }
  } finally {
    raw.close();
    binary.close();
    await session.close();
    peer.destroy();
  }
  const d = {
    raw: summarize(down.raw),
    rawUpstream: summarize(down.rawUpstream),
    peerjsBinary: summarize(down.binary),
    peerFetch: summarize(down.peerFetch),
    ...(mediaPath ? { rawFile: summarize(down.rawFile), file: summarize(down.file) } : {}),
  };
  const u = {
    raw: summarize(up.raw),
    rawUpstream: summarize(up.rawUpstream),
    peerFetch: summarize(up.peerFetch),
  };
  const result: ThroughputResult = {
    sizeMiB,
    repetitions,
    frameSize: policy.frameSize,
    downloadMiBps: d,
    uploadMiBps: u,
    downloadRatio: d.peerFetch.median / d.raw.median,
    uploadRatio: u.peerFetch.median / u.raw.median,
  };
  const show = (s: Summary) => `${fmt(s.median)} MiB/s ±${fmt(s.spread * 50, 0)} %`;
  /** A ≥ 0.90 × row of `subject` against `baseline`, the baseline named by `label`. */
  const ratioRow = (scenario: string, subject: Summary, label: string, baseline: Summary) => {
    const ratio = subject.median / baseline.median;
    return {
      scenario,
      subject: show(subject),
      baseline: `${label} ${show(baseline)}`,
      figure: `${fmt(ratio, 2)} × raw`,
      target: '≥ 0.90 × raw',
      met: ratio >= 0.9,
    };
  };
  const download = `download ${sizeMiB} MiB edge → Node`;
  const fromFile = `download ${sizeMiB} MiB file from the edge's device API → Node`;
  const uploadTo = `upload ${sizeMiB} MiB Node → edge`;
  const rows: TargetRow[] = [
    ratioRow(download, d.peerFetch, 'raw from memory', d.raw),
    ratioRow(download, d.peerFetch, "raw carrying the upstream's bytes", d.rawUpstream),
    {
      scenario: download,
      subject: show(d.peerFetch),
      baseline: `PeerJS binary ${show(d.peerjsBinary)}`,
      figure: `${fmt(d.peerFetch.median / d.peerjsBinary.median, 2)} × binary`,
      target: '> PeerJS binary',
      met: d.peerFetch.median > d.peerjsBinary.median,
    },
    ...(d.file && d.rawFile
      ? [
          ratioRow(fromFile, d.file, 'raw from memory', d.raw),
          ratioRow(fromFile, d.file, 'raw reading the same file', d.rawFile),
        ]
      : []),
    ratioRow(uploadTo, u.peerFetch, 'raw to memory', u.raw),
    ratioRow(uploadTo, u.peerFetch, 'raw forwarded to the upstream', u.rawUpstream),
  ];
  return { result, rows };
}
