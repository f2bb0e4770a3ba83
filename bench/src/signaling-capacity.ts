/**
 * Signaling capacity: opens N PeerJS-protocol WebSockets to a spawned signaling server,
 * joins them into rooms of 2-4 (each room from its own 127.x.y.z source address, so each
 * room is a distinct network), and reports server memory per peer and join latency.
 *
 *   npx tsx bench/src/signaling-capacity.ts [--peers 2000] [--concurrency 16]
 *
 * Writes bench/results/signaling.json and prints a Markdown table. `run()` is exported for
 * the bench runner.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  httpRequest,
  startSignaling,
  TEST_PEER_KEY,
  UNLIMITED_SIGNALING,
} from '@peerfetch/test/helpers/signaling.js';
import { WebSocket } from 'ws';
import { RESULTS_DIR } from './results-dir.js';

export interface CapacityOptions {
  /** Peers to connect; default 2000. */
  peers?: number;
  /** Peers being set up at once; default 16. */
  concurrency?: number;
  /** Where to write the JSON result; default bench/results/signaling.json; null = don't write. */
  outFile?: string | null;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

export interface CapacityResult {
  name: 'signaling-capacity';
  date: string;
  node: string;
  cpus: number;
  peers: number;
  rooms: number;
  /** Peers set up at once (latencies are measured under this much load). */
  concurrency: number;
  /** Server RSS after start, and with every peer connected and joined. */
  rssBaselineBytes: number;
  rssLoadedBytes: number;
  bytesPerPeer: number;
  connectMs: Percentiles;
  joinMs: Percentiles;
  durationMs: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

const DEFAULT_OUT = join(RESULTS_DIR, 'signaling.json');
/** PeerJS clients send a heartbeat every 5 s; the server drops silent peers. */
export const HEARTBEAT_MS = 5000;

/** Rooms of 2, 3, 4, 2, 3, 4, ... members until `peers` are placed (the last may be smaller, at least 1). */
export function planRooms(peers: number): number[] {
  const sizes: number[] = [];
  for (let placed = 0; placed < peers; ) {
    const size = Math.min(2 + (sizes.length % 3), peers - placed);
    sizes.push(size);
    placed += size;
  }
  return sizes;
}

/** A distinct loopback source address per room (Linux routes all of 127.0.0.0/8 to lo). */
export function roomAddress(room: number): string {
  return `127.${10 + Math.floor(room / 62_500)}.${Math.floor(room / 250) % 250}.${1 + (room % 250)}`;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(rank(0.5)), p99: round(rank(0.99)), max: round(sorted.at(-1) ?? 0) };
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

/** Opens one PeerJS-protocol socket and waits for the server's OPEN message. */
export function openPeerSocket(
  port: number,
  id: string,
  token: string,
  localAddress: string,
): Promise<WebSocket> {
  return new Promise((resolveSocket, reject) => {
    const url = `ws://127.0.0.1:${port}/peerjs/peerjs?key=${TEST_PEER_KEY}&id=${id}&token=${token}`;
    const socket = new WebSocket(url, { localAddress });
    const timer = setTimeout(() => reject(new Error(`socket ${id} not open after 15 s`)), 15_000);
    socket.once('message', (data) => {
      clearTimeout(timer);
      const message = JSON.parse(String(data)) as { type?: string };
      if (message.type === 'OPEN') resolveSocket(socket);
      else reject(new Error(`socket ${id} got ${String(data)}`));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Runs `task(i)` for i in [0, count) with at most `limit` at once. */
export async function pool(
  count: number,
  limit: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

export async function run(options: CapacityOptions = {}): Promise<CapacityResult> {
  const peerCount = options.peers ?? 2000;
  const concurrency = options.concurrency ?? 16;
  const log = options.log ?? ((line: string) => console.log(line));
  if (!Number.isInteger(peerCount) || peerCount < 2)
    throw new Error('--peers must be a whole number >= 2');
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('--concurrency must be a whole number >= 1');

  const roomSizes = planRooms(peerCount);
  const placements = roomSizes.flatMap((size, room) =>
    Array.from({ length: size }, (_, slot) => ({ room, slot })),
  );
  // Every peer comes from 127.0.0.1: the per-address caps are lifted.
  const server = await startSignaling({
    ...UNLIMITED_SIGNALING,
    CONCURRENT_LIMIT: String(peerCount + 100),
    MAX_RESERVATIONS: String(peerCount + 100),
    MAX_ROOM_SIZE: '4',
    MAX_MEMBERS_PER_ADDRESS: '10000',
    ROOMS_RATE_LIMIT: '1000000',
    LOG_LEVEL: 'info',
  });
  const sockets: WebSocket[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const heartbeat = setInterval(() => {
    for (const socket of sockets)
      if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"HEARTBEAT"}');
  }, HEARTBEAT_MS);
  try {
    const pid = server.process.pid!;
    const rssBaselineBytes = rssBytes(pid);
    const connectMs: number[] = [];
    const joinMs: number[] = [];
    const started = performance.now();
    log(`signaling capacity: ${peerCount} peers in ${roomSizes.length} rooms of 2-4`);

    await pool(placements.length, concurrency, async (i) => {
      const { room, slot } = placements[i]!;
      const id = `bench${i}x${randomBytes(4).toString('hex')}`;
      const token = randomBytes(12).toString('hex');
      const localAddress = roomAddress(room);
      const t0 = performance.now();
      sockets.push(await openPeerSocket(server.port, id, token, localAddress));
      const t1 = performance.now();
      const joined = await httpRequest(`${server.url}/rooms/join`, {
        body: { id, token, role: slot === 0 ? 'edge' : 'app', name: `bench peer ${i}` },
        localAddress,
        agent,
      });
      const t2 = performance.now();
      if (joined.status !== 200)
        throw new Error(`join ${i} answered ${joined.status}: ${joined.text}`);
      connectMs.push(t1 - t0);
      joinMs.push(t2 - t1);
      if ((i + 1) % 500 === 0) log(`  ${i + 1} peers joined`);
    });

    const health = (await httpRequest(`${server.url}/healthz`)).json as {
      peers: number;
      rooms: number;
    };
    if (health.peers !== peerCount || health.rooms !== roomSizes.length) {
      throw new Error(
        `server reports ${health.peers} peers in ${health.rooms} rooms, expected ${peerCount} in ${roomSizes.length}`,
      );
    }
    // Let the server settle (socket buffers, timers) before reading its memory.
    await new Promise((r) => setTimeout(r, 1000));
    const rssLoadedBytes = rssBytes(pid);
    const result: CapacityResult = {
      name: 'signaling-capacity',
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      peers: peerCount,
      rooms: roomSizes.length,
      concurrency,
      rssBaselineBytes,
      rssLoadedBytes,
      bytesPerPeer: Math.round((rssLoadedBytes - rssBaselineBytes) / peerCount),
      connectMs: percentiles(connectMs),
      joinMs: percentiles(joinMs),
      durationMs: Math.round(performance.now() - started),
    };
    log(toMarkdown(result));
    if (options.outFile !== null) {
      const out = options.outFile ?? DEFAULT_OUT;
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
      log(`wrote ${out}`);
    }
    return result;
  } finally {
    clearInterval(heartbeat);
    for (const socket of sockets) socket.terminate();
    agent.destroy();
    await server.stop();
  }
}

export function toMarkdown(result: CapacityResult): string {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  return [
    '| signaling capacity | value |',
    '|---|---|',
    `| peers / rooms (set up ${result.concurrency} at a time) | ${result.peers} / ${result.rooms} |`,
    `| server RSS idle → loaded | ${mib(result.rssBaselineBytes)} MiB → ${mib(result.rssLoadedBytes)} MiB |`,
    `| memory per peer | ${(result.bytesPerPeer / 1024).toFixed(1)} KiB |`,
    `| WebSocket open p50 / p99 | ${result.connectMs.p50} ms / ${result.connectMs.p99} ms |`,
    `| join p50 / p99 (max) | ${result.joinMs.p50} ms / ${result.joinMs.p99} ms (${result.joinMs.max} ms) |`,
    `| total time | ${(result.durationMs / 1000).toFixed(1)} s |`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  run({ peers: Number(values.peers), concurrency: Number(values.concurrency) }).catch(
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
