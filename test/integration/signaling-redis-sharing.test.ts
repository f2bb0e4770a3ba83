/**
 * Three signaling instances sharing one real redis-server behave as one server: stock PeerJS
 * clients on different instances connect, rooms and reservations are the same everywhere,
 * per-address caps count across instances, messages for an absent id wait for it on any
 * instance (or expire back to the sender), and order per pair of peers holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoomsApi } from '@peerfetch/shared';
import type { DataConnection } from 'peerjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, runClientCli, startEdge } from '../helpers/edge.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import {
  createNodePeer,
  type OpenNodePeer,
  randomPeerId,
  waitForOpen,
} from '../helpers/peerjs-node.js';
import { type StartedRedis, startRedis } from '../helpers/redis-server.js';
import {
  httpRequest,
  metricValue,
  type RawRegistration,
  registerRaw,
  type ServerMessage,
  type StartedSignaling,
  startSignaling,
} from '../helpers/signaling.js';
import { startSignalingInstances } from '../helpers/signaling-cluster.js';
import { type StartedUpstream, startUpstream } from '../helpers/upstream.js';

/** Room for every peer these tests open from 127.0.0.1; the cap test uses its own address. */
const LIMITS = {
  WS_RATE_LIMIT: '1000',
  NEW_IDS_PER_ADDRESS: '1000',
  MAX_SOCKETS_PER_ADDRESS: '24',
  ICE_RATE_LIMIT: '20',
};

let redis: StartedRedis;
let a: StartedSignaling;
let b: StartedSignaling;
let c: StartedSignaling;
const peers: OpenNodePeer[] = [];
const raws: RawRegistration[] = [];

beforeAll(async () => {
  redis = await startRedis();
  [a, b, c] = (await startSignalingInstances(redis, 3, LIMITS)) as [
    StartedSignaling,
    StartedSignaling,
    StartedSignaling,
  ];
});
afterAll(async () => {
  for (const { peer } of peers) peer.destroy();
  for (const raw of raws) raw.socket.terminate();
  for (const server of [a, b, c]) await server?.stop();
  await redis?.stop();
});

/** Registers a raw PeerJS socket and keeps it for cleanup. */
async function raw(server: StartedSignaling, id: string, token: string, localAddress?: string) {
  const registration = await registerRaw({ port: server.port, id, token, localAddress });
  raws.push(registration);
  return registration;
}

/** The next message `registration` receives after the ones already seen. */
function nextMessage(registration: RawRegistration, timeoutMs = 10_000): Promise<ServerMessage> {
  const seen = registration.later.length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message in time')), timeoutMs);
    const check = () => {
      const message = registration.later[seen];
      if (!message) return;
      clearTimeout(timer);
      registration.socket.off('message', onMessage);
      resolve(message);
    };
    // registerRaw records later messages on its own listener, which runs first.
    const onMessage = () => queueMicrotask(check);
    registration.socket.on('message', onMessage);
    check();
  });
}

describe('stock PeerJS clients on different instances', () => {
  it('find each other in the shared room and exchange data', async () => {
    const edge = await createNodePeer({ port: a.port });
    const app = await createNodePeer({ port: b.port });
    peers.push(edge, app);
    await createRoomsApi({ baseUrl: a.url }).join({
      id: edge.id,
      token: edge.token,
      role: 'edge',
      name: 'Edge on A',
    });
    const listing = await createRoomsApi({ baseUrl: b.url }).join({
      id: app.id,
      token: app.token,
      role: 'app',
      name: 'App on B',
    });
    expect(listing.members.map((m) => m.id)).toEqual([edge.id, app.id]);

    const relayedBefore = await metricValue(b, 'peerfetch_signaling_relayed_messages_total', {
      type: 'OFFER',
      path: 'relayed',
    });
    const incoming = new Promise<DataConnection>((resolve) =>
      edge.peer.once('connection', resolve),
    );
    const outgoing = app.peer.connect(edge.id, { reliable: true, serialization: 'binary' });
    const accepted = await incoming;
    await Promise.all([waitForOpen(outgoing), waitForOpen(accepted)]);
    const echoed = new Promise<unknown>((resolve) => outgoing.once('data', resolve));
    accepted.on('data', (data) => accepted.send({ echo: data }));
    outgoing.send('across two instances');
    expect(await echoed).toEqual({ echo: 'across two instances' });

    // The offer went B → Redis → A, and A measured the trip.
    expect(
      await metricValue(b, 'peerfetch_signaling_relayed_messages_total', {
        type: 'OFFER',
        path: 'relayed',
      }),
    ).toBe(relayedBefore + 1);
    expect(
      await metricValue(a, 'peerfetch_signaling_cross_instance_relay_seconds_count', {
        type: 'OFFER',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('rooms', () => {
  it('are one room per network whichever instance is asked', async () => {
    const one = await createNodePeer({ port: a.port });
    const two = await createNodePeer({ port: c.port });
    peers.push(one, two);
    const joinedA = await createRoomsApi({ baseUrl: a.url }).join({
      id: one.id,
      token: one.token,
      role: 'app',
      name: 'one',
    });
    // A peer on C asks B (behind a load balancer any instance answers).
    const joinedB = await createRoomsApi({ baseUrl: b.url }).join({
      id: two.id,
      token: two.token,
      role: 'app',
      name: 'two',
    });
    expect(joinedB.room).toBe(joinedA.room);
    const seenFromC = await createRoomsApi({ baseUrl: c.url }).members({
      id: one.id,
      token: one.token,
    });
    expect(seenFromC.members.map((m) => m.id)).toEqual(expect.arrayContaining([one.id, two.id]));
    one.peer.destroy();
    await expect
      .poll(
        async () =>
          (
            await createRoomsApi({ baseUrl: a.url }).members({ id: two.id, token: two.token })
          ).members.map((m) => m.id),
        { timeout: 10_000 },
      )
      .not.toContain(one.id);
  });
});

describe('peer id reservations', () => {
  it('an id reserved on A cannot be taken on B, but its token takes it back anywhere', async () => {
    const id = randomPeerId('resv');
    const first = await raw(a, id, 'token-of-the-owner');
    expect(first.message.type).toBe('OPEN');

    const stranger = await raw(b, id, 'token-of-a-stranger');
    expect(stranger.message.type).toBe('ID-TAKEN');

    // The owner's token on C takes over; A closes its old socket.
    const takeover = await raw(c, id, 'token-of-the-owner');
    expect(takeover.message.type).toBe('OPEN');
    expect(await first.closed).toBeGreaterThan(0);

    takeover.socket.close();
    await takeover.closed;
    const later = await raw(b, id, 'token-of-a-stranger');
    expect(later.message.type).toBe('ID-TAKEN');
  });
});

describe('per-address caps', () => {
  it('count the sockets of one address on every instance together', async () => {
    const address = '127.0.0.7';
    const servers = [a, b, c];
    for (let i = 0; i < 24; i++) {
      const opened = await raw(servers[i % 3]!, randomPeerId('cap'), `t${i}`, address);
      expect(opened.message.type).toBe('OPEN');
    }
    const refused = await raw(b, randomPeerId('cap'), 'one-too-many', address);
    expect(refused.message).toEqual({
      type: 'ERROR',
      payload: { msg: 'too many open connections from this address' },
    });
    // Another address is unaffected.
    const other = await raw(b, randomPeerId('cap'), 'other', '127.0.0.8');
    expect(other.message.type).toBe('OPEN');
  });
});

describe('rate limits', () => {
  it('give one address one budget across instances', async () => {
    const localAddress = '127.0.0.9';
    const servers = [a, b, c];
    for (let i = 0; i < 20; i++) {
      const answer = await httpRequest(`${servers[i % 3]!.url}/ice?id=x&token=y`, { localAddress });
      // Counted first, then refused as a stranger.
      expect(answer.status).toBe(401);
    }
    const limited = await httpRequest(`${c.url}/ice?id=x&token=y`, { localAddress });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});

describe('messages between instances', () => {
  it('wait for an absent id and reach it when it registers on another instance', async () => {
    const sender = await raw(a, randomPeerId('snd'), 'sender-token');
    const absent = randomPeerId('late');
    sender.socket.send(JSON.stringify({ type: 'OFFER', dst: absent, payload: { sdp: 'x' } }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = await raw(b, absent, 'late-token');
    expect(late.message.type).toBe('OPEN');
    expect(await nextMessage(late)).toMatchObject({ type: 'OFFER', src: expect.any(String) });
  });

  it('expire back to the sender when the id never comes', async () => {
    const sender = await raw(c, randomPeerId('snd'), 'sender-token');
    const never = randomPeerId('never');
    sender.socket.send(JSON.stringify({ type: 'OFFER', dst: never, payload: { sdp: 'x' } }));
    expect(await nextMessage(sender, 15_000)).toMatchObject({ type: 'EXPIRE', src: never });
  });

  it('keep their order per pair of peers', async () => {
    const from = await raw(a, randomPeerId('from'), 'from-token');
    const to = await raw(b, randomPeerId('to'), 'to-token');
    const fromId = new URL(from.socket.url).searchParams.get('id');
    const toId = new URL(to.socket.url).searchParams.get('id')!;
    const count = 100;
    const all = new Promise<void>((resolve) => {
      to.socket.on('message', () => {
        if (to.later.length >= count) resolve();
      });
    });
    for (let n = 0; n < count; n++) {
      from.socket.send(JSON.stringify({ type: 'CANDIDATE', dst: toId, payload: { n } }));
    }
    await all;
    const received = to.later.slice(0, count) as unknown as Array<{
      src: string;
      payload: { n: number };
    }>;
    expect(received.map((m) => m.payload.n)).toEqual([...Array(count).keys()]);
    expect(new Set(received.map((m) => m.src))).toEqual(new Set([fromId]));
  });
});

describe('the edge on A and the CLI on B', () => {
  let upstream: StartedUpstream;
  let configHome: string;
  beforeAll(async () => {
    upstream = await startUpstream();
    configHome = await mkdtemp(join(tmpdir(), 'pf-redis-cli-'));
  });
  afterAll(async () => {
    await upstream?.stop();
    await rm(configHome, { recursive: true, force: true });
  });

  it('pair and fetch', async () => {
    const edge = await startEdge({ signalingUrl: a.url, routes: { '/up': upstream.url } });
    try {
      const paired = await pairCli(b.url, edge, configHome, (await pairingWindowOf(edge)).code);
      expect(paired.stderr).toBe('');
      expect(paired.code).toBe(0);
      const fetched = await runClientCli(['fetch', '--device', edge.peerId, '/up/json?n=24'], {
        configHome,
      });
      expect(fetched.code).toBe(0);
      expect(JSON.parse(fetched.stdout.toString())).toEqual({ hello: 'world', n: 24 });
    } finally {
      await edge.stop();
      await removeStateDir(edge.stateDir);
    }
  });
});

describe('/metrics on the app port', () => {
  it('is off unless PUBLIC_METRICS is set', async () => {
    const quiet = await startSignaling({ REDIS_URL: redis.url, PUBLIC_METRICS: '' });
    try {
      expect((await httpRequest(`${quiet.url}/metrics`)).status).toBe(404);
      expect((await httpRequest(`${a.url}/metrics`)).text).toContain(
        'peerfetch_signaling_redis_up 1',
      );
    } finally {
      await quiet.stop();
    }
  });
});
