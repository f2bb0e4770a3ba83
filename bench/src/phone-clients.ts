/**
 * The phone's two clients in the internet in a box, for internet-paths.ts: PeerFetch (the
 * product's client, test/helpers/internet/phone-driver.ts, fetching files of the edge's device
 * API) and the raw baseline (phone-raw-driver.ts, talking to the bench peer in the edge's
 * host); what they measure, baseline and subject alternating; and the paths they take.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetworkName } from '@peerfetch/test/helpers/internet/addresses.js';
import {
  describePath,
  type IcePath,
  type PathKind,
  pathKind,
} from '@peerfetch/test/helpers/internet/ice-path.js';
import { type PhoneSession, startPhoneSession } from '@peerfetch/test/helpers/internet/phone.js';
import type { InternetStack } from '@peerfetch/test/helpers/internet/stack.js';
import { percentiles } from './latency.js';
import type { BenchPeer } from './peer-client.js';
import { MiB, mibPerSecond, summarize } from './stats.js';

const RAW_DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'phone-raw-driver.ts');
const BIG_FILE = 'paths-download.bin';
const WARM_UP_FILE = 'paths-warm-up.bin';
const SMALL_FILE = 'paths-small.bin';
/** The small GET's answer, as the latency scenario's. */
const SMALL_BYTES = 128;
/** Small GETs per round: baseline and subject alternate by round. */
const PER_ROUND = 50;
/** Round trips of each kind before measuring (JIT, TURN permissions, ICE consent). */
const WARM_UP = 20;
/**
 * A download of each kind before measuring: a connection's first bulk transfer leaves slow
 * start with a burst that can overflow a shaped link's queue (the raw sender's did, 200-odd
 * drops in tbf, at some 60 % of the link's rate), which is not the rate it downloads at after.
 */
const WARM_UP_BYTES = 4 * MiB;
/** ICE often starts on a relay and moves to a better pair as its checks succeed. */
const SETTLE_MS = 15_000;

/** The files the edge's device API serves to the PeerFetch client, for downloads of `bytes`. */
export function mediaFiles(bytes: number): Record<string, Uint8Array> {
  return {
    [BIG_FILE]: new Uint8Array(bytes).fill(0x5a),
    [WARM_UP_FILE]: new Uint8Array(Math.min(bytes, WARM_UP_BYTES)).fill(0x5a),
    [SMALL_FILE]: new Uint8Array(SMALL_BYTES).fill(0x2e),
  };
}

export interface PhoneClients {
  peerFetch: PhoneSession;
  raw: PhoneSession;
}

/** Each client's selected candidate pair. */
export interface ClientPaths {
  peerFetch: IcePath;
  raw: IcePath;
}

/** The paths as reported: their kind, and each pair (describePath). */
export interface PathReport {
  /** The kind of both, or "PeerFetch …; raw …" when they differ. */
  kind: string;
  peerFetch: string;
  raw: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Moves the phone to `network` and opens both clients there, closed after `use`. */
export function withClients<T>(
  stack: InternetStack,
  network: NetworkName,
  benchPeer: BenchPeer,
  use: (clients: PhoneClients) => Promise<T>,
): Promise<T> {
  return stack.withPhoneSession(network, async (peerFetch) => {
    const raw = await startPhoneSession(stack.internet, stack.phoneConfigHome, {
      path: RAW_DRIVER,
      args: [stack.signaling.url, benchPeer.id],
    });
    try {
      return await use({ peerFetch, raw });
    } finally {
      await raw.close();
    }
  });
}

export async function pathsOf(clients: PhoneClients): Promise<ClientPaths> {
  return { peerFetch: await clients.peerFetch.path(), raw: await clients.raw.path() };
}

/** Both clients' paths, once both are `wanted` or SETTLE_MS later. */
export async function settledPaths(clients: PhoneClients, wanted: PathKind): Promise<ClientPaths> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const paths = await pathsOf(clients);
    const settled = pathKind(paths.peerFetch) === wanted && pathKind(paths.raw) === wanted;
    if (settled || Date.now() > deadline) return paths;
    await sleep(250);
  }
}

export function reportPaths(paths: ClientPaths): PathReport {
  const [a, b] = [pathKind(paths.peerFetch), pathKind(paths.raw)];
  return {
    kind: a === b ? a : `PeerFetch ${a}; raw ${b}`,
    peerFetch: describePath(paths.peerFetch),
    raw: describePath(paths.raw),
  };
}

/** Slower than 0.5 MiB/s is a failure, not a figure. */
const downloadTimeoutMs = (bytes: number) => 30_000 + (bytes / MiB) * 2_000;

async function rawDownload(clients: PhoneClients, bytes: number): Promise<number> {
  const answer = await clients.raw.request({ op: 'download', bytes }, downloadTimeoutMs(bytes));
  return Number(answer.ms);
}

/** One of the edge's files, whole; `bytes` is its size. */
async function fileDownload(clients: PhoneClients, name: string, bytes: number): Promise<number> {
  const fetched = await clients.peerFetch.time(`/api/media/${name}`, 1, downloadTimeoutMs(bytes));
  if (fetched.bytes !== bytes) throw new Error(`${name}: ${fetched.bytes} of ${bytes} bytes`);
  return fetched.ms[0]!;
}

/** Round trips and a download of each kind, unmeasured (`bytes` as for mediaFiles). */
export async function warmUp(clients: PhoneClients, bytes: number): Promise<void> {
  await clients.raw.request({ op: 'echo', count: WARM_UP }, 30_000);
  await clients.peerFetch.time(`/api/media/${SMALL_FILE}`, WARM_UP, 30_000);
  const warmUpBytes = Math.min(bytes, WARM_UP_BYTES);
  await rawDownload(clients, warmUpBytes);
  await fileDownload(clients, WARM_UP_FILE, warmUpBytes);
}

/** Downloads of `bytes`, the raw baseline's then PeerFetch's (the edge's file), in MiB/s. */
export async function downloads(clients: PhoneClients, bytes: number, repetitions: number) {
  const raw: number[] = [];
  const peerFetch: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    raw.push(mibPerSecond(bytes, await rawDownload(clients, bytes)));
    peerFetch.push(mibPerSecond(bytes, await fileDownload(clients, BIG_FILE, bytes)));
  }
  const downloadMiBps = { raw: summarize(raw), peerFetch: summarize(peerFetch) };
  return { downloadMiBps, ratio: downloadMiBps.peerFetch.median / downloadMiBps.raw.median };
}

/** Small GETs (a 128-byte file of the device API) against raw 128-byte echoes, in ms. */
export async function smallGets(clients: PhoneClients, gets: number) {
  const raw: number[] = [];
  const peerFetch: number[] = [];
  for (let done = 0; done < gets; done += PER_ROUND) {
    const count = Math.min(PER_ROUND, gets - done);
    const echoes = await clients.raw.request({ op: 'echo', count }, 60_000);
    raw.push(...(echoes.ms as number[]));
    const fetched = await clients.peerFetch.time(`/api/media/${SMALL_FILE}`, count, 60_000);
    if (fetched.bytes !== count * SMALL_BYTES) throw new Error('small GETs: unexpected bodies');
    peerFetch.push(...fetched.ms);
  }
  return { rawEchoMs: percentiles(raw), peerFetchMs: percentiles(peerFetch) };
}
