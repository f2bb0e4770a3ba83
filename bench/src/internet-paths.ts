/**
 * Two paths of the internet in a box (test/helpers/internet), each against a raw DataChannel
 * over the same path in the same run, baseline and subject alternating:
 * - a TURN relay: the phone on cellular (symmetric NAT) reaches the edge at home only through
 *   coturn; download rate and small-GET latency;
 * - a home uplink shaped to 40 Mbit/s with tbf: the phone on a friend's network (cone NAT)
 *   downloads from the edge, whose bytes leave home through the shaped link; download rate.
 * The subject is the product: the edge agent serving files of its device API to the phone's
 * long-lived client. The baseline is a stock PeerJS peer on wrtc in the edge's host
 * (bench-peer.ts) sending raw bytes from memory, with a session's frame size and water marks,
 * to a client in the phone's host (phone-clients.ts). All of them take their ICE servers from
 * the signaling server's `/ice`. Each path is checked to be the one named: both connections'
 * selected candidate pairs must be relayed (coturn's count of relayed bytes is reported), and
 * the shaped link's own byte count (`tc -s`) must cover the downloads; a plain TCP transfer
 * over the same link is reported beside the raw rate.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceEnvironment } from '@peerfetch/test/helpers/edge-stack.js';
import type { NetworkName } from '@peerfetch/test/helpers/internet/addresses.js';
import type { Internet } from '@peerfetch/test/helpers/internet/internet.js';
import { WAN_DEV } from '@peerfetch/test/helpers/internet/router.js';
import { type InternetStack, startInternetStack } from '@peerfetch/test/helpers/internet/stack.js';
import { transferRate } from '@peerfetch/test/helpers/internet/transfer-rate.js';
import type { Percentiles } from './latency.js';
import { type BenchPeer, startBenchPeer } from './peer-client.js';
import {
  type ClientPaths,
  downloads,
  mediaFiles,
  type PathReport,
  pathsOf,
  reportPaths,
  settledPaths,
  smallGets,
  warmUp,
  withClients,
} from './phone-clients.js';
import { MiB, type Summary } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

export interface PathsOptions {
  /** Size of each download, MiB. Default 32. */
  sizeMiB?: number;
  /** Downloads of each kind on each path. Default 4. */
  repetitions?: number;
  /** Small GETs of each kind over TURN. Default 200. */
  gets?: number;
  /** Rate of the shaped home uplink, Mbit/s. Default 40 (the issue's). */
  uplinkMbit?: number;
}

export interface PathFigures {
  network: NetworkName;
  /** The two connections' selected candidate pairs, after the downloads. */
  paths: PathReport;
  downloadMiBps: { raw: Summary; peerFetch: Summary };
  ratio: number;
}

export interface PathsResult {
  sizeMiB: number;
  repetitions: number;
  turn: PathFigures & {
    /** What coturn logged relaying while the two sessions were open, MiB. */
    relayedMiB: number;
    latency: { rawEchoMs: Percentiles; peerFetchMs: Percentiles };
  };
  shaped: PathFigures & {
    uplinkMbit: number;
    /** What the home uplink's tbf sent while the two sessions were open, MiB. */
    shapedLinkMiB: number;
    /** The raw baseline's median, Mbit/s: near the link's rate when the bytes crossed it. */
    rawMbit: number;
    /** A plain TCP transfer from the edge's host over the same link, Mbit/s. */
    tcpMbit: number;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectRelayed(paths: ClientPaths): void {
  const report = reportPaths(paths);
  if (report.kind !== 'relayed by TURN') {
    const tried = [...paths.peerFetch.tried, ...paths.raw.tried].join('\n');
    throw new Error(`not relayed: PeerFetch ${report.peerFetch}; raw ${report.raw}\n${tried}`);
  }
}

/** Every byte coturn has logged relaying so far (it logs about once a second, and at close). */
const relayedBytes = (stack: InternetStack) =>
  stack.coturn.allocations().reduce((sum, a) => sum + a.peerBytes, 0);

async function overTurn(
  stack: InternetStack,
  benchPeer: BenchPeer,
  options: { bytes: number; repetitions: number; gets: number },
): Promise<PathsResult['turn']> {
  const before = relayedBytes(stack);
  const figures = await withClients(stack, 'cellular', benchPeer, async (clients) => {
    expectRelayed(await settledPaths(clients, 'relayed by TURN'));
    await warmUp(clients, options.bytes);
    const download = await downloads(clients, options.bytes, options.repetitions);
    const latency = await smallGets(clients, options.gets);
    const after = await pathsOf(clients);
    expectRelayed(after);
    return { ...download, latency, paths: reportPaths(after) };
  });
  // The last second of traffic is logged when the allocations close.
  const moved = 2 * options.repetitions * options.bytes;
  const deadline = Date.now() + 10_000;
  while (relayedBytes(stack) - before < moved && Date.now() < deadline) await sleep(250);
  return { network: 'cellular', ...figures, relayedMiB: (relayedBytes(stack) - before) / MiB };
}

/** Bytes the home uplink's tbf has sent so far (`tc -s qdisc`). */
async function shapedLinkBytes(internet: Internet): Promise<number> {
  const stats = await internet.exec('home', 'tc', ['-s', 'qdisc', 'show', 'dev', WAN_DEV]);
  const sent = /qdisc tbf[^\n]*\n\s*Sent (\d+) bytes/.exec(stats);
  if (!sent) throw new Error(`no tbf on the home uplink:\n${stats}`);
  return Number(sent[1]);
}

async function overShapedUplink(
  stack: InternetStack,
  benchPeer: BenchPeer,
  options: { bytes: number; repetitions: number; uplinkMbit: number },
): Promise<PathsResult['shaped']> {
  const { internet } = stack;
  await internet.shape('home', { uplinkMbit: options.uplinkMbit });
  // edge → the server host leaves home by the same uplink.
  const tcpMbit = await transferRate(internet, 'edge', 'up', Math.min(options.bytes, 16 * MiB));
  const before = await shapedLinkBytes(internet);
  const figures = await withClients(stack, 'remote', benchPeer, async (clients) => {
    await settledPaths(clients, 'peer-to-peer across NATs');
    await warmUp(clients, options.bytes);
    const download = await downloads(clients, options.bytes, options.repetitions);
    return { ...download, paths: reportPaths(await pathsOf(clients)) };
  });
  const sent = (await shapedLinkBytes(internet)) - before;
  const moved = 2 * options.repetitions * options.bytes;
  if (sent < moved) {
    throw new Error(`the shaped uplink sent ${sent} bytes; the downloads moved ${moved}`);
  }
  return {
    network: 'remote',
    ...figures,
    uplinkMbit: options.uplinkMbit,
    shapedLinkMiB: sent / MiB,
    rawMbit: (figures.downloadMiBps.raw.median * MiB * 8) / 1e6,
    tcpMbit,
  };
}

export async function runInternetPaths(
  options: PathsOptions = {},
): Promise<{ result: PathsResult; rows: TargetRow[] }> {
  const sizeMiB = options.sizeMiB ?? 32;
  const repetitions = options.repetitions ?? 4;
  const bytes = sizeMiB * MiB;
  const mediaDir = await mkdtemp(join(tmpdir(), 'pf-bench-paths-'));
  let stack: InternetStack | undefined;
  let benchPeer: BenchPeer | undefined;
  try {
    for (const [name, content] of Object.entries(mediaFiles(bytes)))
      await writeFile(join(mediaDir, name), content);
    // The edge as shipped: info logs and its systemd unit's memory settings.
    stack = await startInternetStack({
      mediaDir,
      edgeEnv: { PEERFETCH_LOG_LEVEL: 'info', ...serviceEnvironment() },
    });
    const { internet } = stack;
    benchPeer = await startBenchPeer(stack.signaling.port, [], {
      signalingUrl: stack.signaling.url,
      spawn: (file, args, spawnOptions) => internet.spawn('edge', file, args, spawnOptions),
    });
    // TURN first: the shaping stays on the home uplink until the box is gone.
    const turn = await overTurn(stack, benchPeer, {
      bytes,
      repetitions,
      gets: options.gets ?? 200,
    });
    const shaped = await overShapedUplink(stack, benchPeer, {
      bytes,
      repetitions,
      uplinkMbit: options.uplinkMbit ?? 40,
    });
    const result: PathsResult = { sizeMiB, repetitions, turn, shaped };
    return { result, rows: rowsOf(result) };
  } finally {
    await benchPeer?.stop();
    await stack?.stop();
    await rm(mediaDir, { recursive: true, force: true });
  }
}

const show = (s: Summary) => `${fmt(s.median)} MiB/s ±${fmt(s.spread * 50, 0)} %`;
const ms = (p: Percentiles) => `p50 ${fmt(p.p50, 2)} / p99 ${fmt(p.p99, 2)} ms`;

function rowsOf({ sizeMiB, turn, shaped }: PathsResult): TargetRow[] {
  const download = `download ${sizeMiB} MiB edge → phone`;
  const { latency } = turn;
  return [
    {
      scenario: `${download} on cellular, ${turn.paths.kind} (coturn relayed ${fmt(turn.relayedMiB, 0)} MiB)`,
      subject: show(turn.downloadMiBps.peerFetch),
      baseline: `raw ${show(turn.downloadMiBps.raw)}`,
      figure: `${fmt(turn.ratio, 2)} × raw`,
      target: 'reported',
      met: null,
    },
    {
      scenario: `latency, small GET (128 B) on cellular, ${turn.paths.kind}`,
      subject: ms(latency.peerFetchMs),
      baseline: `raw echo ${ms(latency.rawEchoMs)}`,
      figure: `p50 +${fmt(latency.peerFetchMs.p50 - latency.rawEchoMs.p50, 2)} ms over raw echo`,
      target: 'reported',
      met: null,
    },
    {
      scenario: `${download} over a ${shaped.uplinkMbit} Mbit/s home uplink (tbf), ${shaped.paths.kind}`,
      subject: show(shaped.downloadMiBps.peerFetch),
      baseline: `raw ${show(shaped.downloadMiBps.raw)} = ${fmt(shaped.rawMbit)} Mbit/s (TCP ${fmt(shaped.tcpMbit)} Mbit/s)`,
      figure: `${fmt(shaped.ratio, 2)} × raw`,
      target: '≥ 0.90 × raw',
      met: shaped.ratio >= 0.9,
    },
  ];
}
