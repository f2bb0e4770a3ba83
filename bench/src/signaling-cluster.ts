/**
 * Signaling on several instances through Redis, against one instance in memory, in the same
 * run: memory per peer, join latency and OFFER relay latency with 2 instances × N peers
 * (rooms spread over both instances, as an edge on one and a phone on another), and the load
 * one instance holds before join p99 passes 100 ms (joins in flight raised step by step, an
 * instance in memory and one through Redis taking turns).
 *
 *   npx tsx bench/src/signaling-cluster.ts [--peers 2000]     (inside test/run-in-netns.sh)
 *
 * Writes bench/results/signaling-cluster.json and prints a Markdown table.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { type StartedRedis, startRedis } from '@peerfetch/test/helpers/redis-server.js';
import {
  httpRequest,
  type StartedSignaling,
  startSignaling,
  UNLIMITED_SIGNALING,
} from '@peerfetch/test/helpers/signaling.js';
import type { WebSocket } from 'ws';
import { RESULTS_DIR } from './results-dir.js';
import {
  HEARTBEAT_MS,
  openPeerSocket,
  type Percentiles,
  percentiles,
  planRooms,
  pool,
  roomAddress,
  rssBytes,
} from './signaling-capacity.js';
import { fmt, type TargetRow } from './targets.js';

/** The join latency the ramp must stay under. */
const JOIN_P99_LIMIT_MS = 100;
/** Joins in flight at each step of the ramp. */
const RAMP_STEPS = [4, 8, 16, 32, 64, 128, 256];
/** Offers timed per relay measurement, one at a time. */
const RELAY_SAMPLES = 400;
/** Peers set up at once while filling a deployment. */
const FILL_CONCURRENCY = 16;

export interface DeploymentFigures {
  instances: number;
  peers: number;
  /** Each instance's RSS growth per peer it holds (mean over instances). */
  bytesPerPeer: number;
  /** Redis's own memory growth per peer (0 without Redis). */
  redisBytesPerPeer: number;
  connectMs: Percentiles;
  joinMs: Percentiles;
  /** OFFER from a peer to another: same instance, or across instances through Redis. */
  offerRelayMs: Percentiles;
}

export interface RampStep {
  inFlight: number;
  peersHeld: number;
  joinsPerSecond: number;
  joinMs: Percentiles;
}

export interface ClusterResult {
  name: 'signaling-cluster';
  date: string;
  /** The machine's 1-minute load average at the start: shared machines skew every latency. */
  loadAverage: number;
  peersPerInstance: number;
  oneInstance: DeploymentFigures;
  twoInstances: DeploymentFigures;
  ramp: { memory: RampStep[]; redis: RampStep[] };
  /** The last step under the limit, per mode (undefined when even the first step missed). */
  heldUnderLimit: { memory: RampStep | undefined; redis: RampStep | undefined };
}

const serverEnv = (peers: number) => ({
  ...UNLIMITED_SIGNALING,
  CONCURRENT_LIMIT: String(peers + 100),
  MAX_RESERVATIONS: String(4 * peers + 1000),
  MAX_ROOM_SIZE: '4',
  MAX_MEMBERS_PER_ADDRESS: '10000',
  ROOMS_RATE_LIMIT: '1000000',
  LOG_LEVEL: 'info',
});

async function redisUsedMemory(redis: StartedRedis | undefined): Promise<number> {
  if (!redis) return 0;
  const { stdout } = await promisify(execFile)('redis-cli', [
    '-p',
    String(redis.port),
    'info',
    'memory',
  ]);
  return Number(/^used_memory:(\d+)/m.exec(stdout)?.[1] ?? 0);
}

/** Peers and their sockets, kept alive with heartbeats until `close`. */
class PeerPool {
  readonly sockets: WebSocket[] = [];
  private readonly agents = new Map<StartedSignaling, Agent>();
  private readonly heartbeat = setInterval(() => {
    for (const socket of this.sockets)
      if (socket.readyState === 1) socket.send('{"type":"HEARTBEAT"}');
  }, HEARTBEAT_MS);
  private nextRoom = 0;

  /**
   * Connects and joins `count` peers in rooms of 2-4, member k of each room on
   * `servers[k % servers.length]`, `inFlight` at a time; returns the timings.
   */
  async fill(servers: StartedSignaling[], count: number, inFlight: number) {
    const sizes = planRooms(count);
    const firstRoom = this.nextRoom;
    this.nextRoom += sizes.length;
    const placements = sizes.flatMap((size, room) =>
      Array.from({ length: size }, (_, slot) => ({ room: firstRoom + room, slot })),
    );
    const connectMs: number[] = [];
    const joinMs: number[] = [];
    const started = performance.now();
    await pool(placements.length, inFlight, async (i) => {
      const { room, slot } = placements[i]!;
      const server = servers[slot % servers.length]!;
      const id = `c${room}x${slot}x${randomBytes(3).toString('hex')}`;
      const token = randomBytes(12).toString('hex');
      const localAddress = roomAddress(room);
      const t0 = performance.now();
      this.sockets.push(await openPeerSocket(server.port, id, token, localAddress));
      const t1 = performance.now();
      const joined = await httpRequest(`${server.url}/rooms/join`, {
        body: { id, token, role: slot === 0 ? 'edge' : 'app', name: `bench ${id}` },
        localAddress,
        agent: this.agentFor(server, inFlight),
      });
      const t2 = performance.now();
      if (joined.status !== 200) throw new Error(`join answered ${joined.status}: ${joined.text}`);
      connectMs.push(t1 - t0);
      joinMs.push(t2 - t1);
    });
    return { connectMs, joinMs, seconds: (performance.now() - started) / 1000 };
  }

  private agentFor(server: StartedSignaling, inFlight: number): Agent {
    let agent = this.agents.get(server);
    if (!agent || agent.maxSockets < inFlight) {
      agent?.destroy();
      agent = new Agent({ keepAlive: true, maxSockets: inFlight });
      this.agents.set(server, agent);
    }
    return agent;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const socket of this.sockets) socket.terminate();
    for (const agent of this.agents.values()) agent.destroy();
  }
}

/** Times OFFERs from a peer on `from` to a peer on `to`, one at a time. */
async function offerRelay(from: StartedSignaling, to: StartedSignaling): Promise<number[]> {
  const tag = randomBytes(3).toString('hex');
  const sender = await openPeerSocket(from.port, `snd${tag}`, `t${tag}s`, '127.0.0.1');
  const receiver = await openPeerSocket(to.port, `rcv${tag}`, `t${tag}r`, '127.0.0.1');
  const samples: number[] = [];
  try {
    for (let n = 0; n < RELAY_SAMPLES; n++) {
      const arrived = new Promise<number>((resolveArrival, reject) => {
        const timer = setTimeout(() => reject(new Error('offer not relayed within 5 s')), 5000);
        receiver.once('message', () => {
          clearTimeout(timer);
          resolveArrival(performance.now());
        });
      });
      const sentAt = performance.now();
      sender.send(JSON.stringify({ type: 'OFFER', dst: `rcv${tag}`, payload: { n } }));
      samples.push((await arrived) - sentAt);
    }
  } finally {
    sender.terminate();
    receiver.terminate();
  }
  return samples;
}

async function deployment(
  servers: StartedSignaling[],
  peersPerInstance: number,
  redis: StartedRedis | undefined,
): Promise<DeploymentFigures> {
  const peers = new PeerPool();
  try {
    const rssBefore = servers.map((s) => rssBytes(s.process.pid!));
    const redisBefore = await redisUsedMemory(redis);
    const total = peersPerInstance * servers.length;
    const filled = await peers.fill(servers, total, FILL_CONCURRENCY);
    await new Promise((r) => setTimeout(r, 1000));
    const growth = servers.map((s, i) => rssBytes(s.process.pid!) - rssBefore[i]!);
    const redisGrowth = (await redisUsedMemory(redis)) - redisBefore;
    const relay = await offerRelay(servers[0]!, servers.at(-1)!);
    return {
      instances: servers.length,
      peers: total,
      bytesPerPeer: Math.round(growth.reduce((a, b) => a + b, 0) / total),
      redisBytesPerPeer: Math.round(redisGrowth / total),
      connectMs: percentiles(filled.connectMs),
      joinMs: percentiles(filled.joinMs),
      offerRelayMs: percentiles(relay),
    };
  } finally {
    peers.close();
  }
}

/**
 * Raises the joins in flight on each instance until its join p99 passes the limit. The
 * instances take turns at each step, so both meet the machine's load of the moment.
 */
async function ramp(servers: StartedSignaling[], perStep: number): Promise<RampStep[][]> {
  const pools = servers.map(() => new PeerPool());
  const steps: RampStep[][] = servers.map(() => []);
  const done = servers.map(() => false);
  try {
    for (const inFlight of RAMP_STEPS) {
      for (const [i, server] of servers.entries()) {
        if (done[i]) continue;
        const filled = await pools[i]!.fill([server], perStep, inFlight);
        const step: RampStep = {
          inFlight,
          peersHeld: pools[i]!.sockets.length,
          joinsPerSecond: Math.round(perStep / filled.seconds),
          joinMs: percentiles(filled.joinMs),
        };
        steps[i]!.push(step);
        if (step.joinMs.p99 > JOIN_P99_LIMIT_MS) done[i] = true;
      }
      if (done.every(Boolean)) break;
    }
  } finally {
    for (const peers of pools) peers.close();
  }
  return steps;
}

const lastUnderLimit = (steps: RampStep[]) =>
  steps.filter((s) => s.joinMs.p99 <= JOIN_P99_LIMIT_MS).at(-1);

export async function runSignalingCluster(
  options: { peers?: number; log?: (line: string) => void; outFile?: string | null } = {},
): Promise<ClusterResult> {
  const peersPerInstance = options.peers ?? 2000;
  const log = options.log ?? ((line: string) => console.log(line));
  const env = serverEnv(4 * peersPerInstance);
  const loadAverage = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const redis = await startRedis();
  const started: StartedSignaling[] = [];
  const start = async (extra: Record<string, string>) => {
    const server = await startSignaling({ ...env, ...extra });
    started.push(server);
    return server;
  };
  try {
    log(`signaling cluster: one instance in memory, ${peersPerInstance} peers`);
    const alone = await start({});
    const oneInstance = await deployment([alone], peersPerInstance, undefined);
    await alone.stop();
    log(`signaling cluster: two instances through Redis, ${peersPerInstance} peers each`);
    const pair = [await start({ REDIS_URL: redis.url }), await start({ REDIS_URL: redis.url })];
    const twoInstances = await deployment(pair, peersPerInstance, redis);
    for (const server of pair) await server.stop();

    const perStep = Math.max(100, Math.round(peersPerInstance / 5));
    log('signaling cluster: join ramp, one instance in memory and one through Redis');
    const [memoryRamp = [], redisRamp = []] = await ramp(
      [await start({}), await start({ REDIS_URL: redis.url })],
      perStep,
    );

    const result: ClusterResult = {
      name: 'signaling-cluster',
      date: new Date().toISOString(),
      loadAverage,
      peersPerInstance,
      oneInstance,
      twoInstances,
      ramp: { memory: memoryRamp, redis: redisRamp },
      heldUnderLimit: { memory: lastUnderLimit(memoryRamp), redis: lastUnderLimit(redisRamp) },
    };
    log(clusterMarkdown(result));
    if (options.outFile !== null) {
      const out = options.outFile ?? join(RESULTS_DIR, 'signaling-cluster.json');
      await mkdir(RESULTS_DIR, { recursive: true });
      await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
      log(`wrote ${out}`);
    }
    return result;
  } finally {
    for (const server of started) await server.stop();
    await redis.stop();
  }
}

/** The suite's rows: figures reported against the one in-memory instance of the same run. */
export function clusterRows(r: ClusterResult): TargetRow[] {
  const o = r.oneInstance;
  const t = r.twoInstances;
  const held = r.heldUnderLimit.redis;
  return [
    {
      scenario: `signaling, 2 instances × ${r.peersPerInstance} peers through Redis`,
      subject: `join p99 ${fmt(t.joinMs.p99)} ms; ${fmt(t.bytesPerPeer / 1024)} KiB per peer`,
      baseline: `one instance: join p99 ${fmt(o.joinMs.p99)} ms; ${fmt(o.bytesPerPeer / 1024)} KiB`,
      figure: `join p99 ×${fmt(t.joinMs.p99 / o.joinMs.p99, 2)}`,
      target: 'reported',
      met: null,
    },
    {
      scenario: 'signaling, OFFER relay across instances',
      subject: `p50 ${fmt(t.offerRelayMs.p50, 2)} / p99 ${fmt(t.offerRelayMs.p99, 2)} ms`,
      baseline: `same instance: p50 ${fmt(o.offerRelayMs.p50, 2)} / p99 ${fmt(o.offerRelayMs.p99, 2)} ms`,
      figure: `p50 +${fmt(t.offerRelayMs.p50 - o.offerRelayMs.p50, 2)} ms`,
      target: 'reported',
      met: null,
    },
    {
      scenario: `signaling, load one Redis instance holds at join p99 ≤ ${JOIN_P99_LIMIT_MS} ms`,
      subject: held ? `${held.inFlight} in flight, ${held.joinsPerSecond} joins/s` : 'none',
      baseline: r.heldUnderLimit.memory
        ? `in memory: ${r.heldUnderLimit.memory.inFlight} in flight, ${r.heldUnderLimit.memory.joinsPerSecond} joins/s`
        : 'in memory: none',
      figure: held ? `${held.peersHeld} peers held` : '—',
      target: 'reported',
      met: null,
    },
  ];
}

export function clusterMarkdown(r: ClusterResult): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const ms = (p: Percentiles) => `${p.p50} / ${p.p99}`;
  const row = (label: string, one: string, two: string) => `| ${label} | ${one} | ${two} |`;
  const held = (step: RampStep | undefined) =>
    step
      ? `${step.inFlight} joins in flight (${step.joinsPerSecond}/s, p99 ${step.joinMs.p99} ms) with ${step.peersHeld} peers held`
      : `none: p99 over ${JOIN_P99_LIMIT_MS} ms from the first step`;
  const o = r.oneInstance;
  const t = r.twoInstances;
  return [
    `| ${r.peersPerInstance} peers per instance | one instance, in memory | two instances, Redis |`,
    '|---|---|---|',
    row('peers in all', String(o.peers), String(t.peers)),
    row(
      'memory per peer, each instance',
      `${kib(o.bytesPerPeer)} KiB`,
      `${kib(t.bytesPerPeer)} KiB`,
    ),
    row('memory per peer, Redis', '—', `${kib(t.redisBytesPerPeer)} KiB`),
    row('WebSocket open p50 / p99', `${ms(o.connectMs)} ms`, `${ms(t.connectMs)} ms`),
    row('join p50 / p99', `${ms(o.joinMs)} ms`, `${ms(t.joinMs)} ms`),
    row(
      'OFFER relay p50 / p99',
      `${ms(o.offerRelayMs)} ms (same instance)`,
      `${ms(t.offerRelayMs)} ms (across instances)`,
    ),
    '',
    `Load average at the start: ${r.loadAverage}.`,
    '',
    `Load one instance holds with join p99 ≤ ${JOIN_P99_LIMIT_MS} ms:`,
    `- in memory: ${held(r.heldUnderLimit.memory)}`,
    `- through Redis: ${held(r.heldUnderLimit.redis)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { peers: { type: 'string', default: '2000' } } });
  runSignalingCluster({ peers: Number(values.peers) }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
