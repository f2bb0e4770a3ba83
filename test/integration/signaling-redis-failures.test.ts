/**
 * Failures of a multi-instance signaling service: an instance killed outright (its ids are
 * released within a bounded time, its clients come back through the load balancer on
 * another instance) and Redis killed and restarted empty (registrations refused with a
 * clear error and /healthz saying so meanwhile, nothing crashes, the instances write their
 * peers back on their own).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoomsApi } from '@peerfetch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, runClientCli, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type FailoverProxy, startFailoverProxy } from '../helpers/failover-proxy.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import { randomPeerId } from '../helpers/peerjs-node.js';
import { type StartedRedis, startRedis } from '../helpers/redis-server.js';
import {
  httpRequest,
  type RawRegistration,
  registerRaw,
  type StartedSignaling,
} from '../helpers/signaling.js';
import { startSignalingInstances } from '../helpers/signaling-cluster.js';
import { type StartedUpstream, startUpstream } from '../helpers/upstream.js';

/**
 * Bound on releasing a dead instance's ids: its heartbeat key lives 6 s and each instance
 * looks for dead ones every 2 s (signaling/src/cluster/instance.ts).
 */
const RELEASE_BOUND_MS = 10_000;

const LIMITS = { WS_RATE_LIMIT: '1000', NEW_IDS_PER_ADDRESS: '1000' };

let redis: StartedRedis;
const raws: RawRegistration[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const raw of raws) raw.socket.terminate();
  await redis?.stop();
});

async function raw(server: StartedSignaling, id: string, token: string) {
  const registration = await registerRaw({ port: server.port, id, token });
  raws.push(registration);
  return registration;
}

const roomIdsSeenBy = async (server: StartedSignaling, id: string, token: string) =>
  (await createRoomsApi({ baseUrl: server.url }).members({ id, token })).members.map((m) => m.id);

describe('an instance killed outright', () => {
  let a: StartedSignaling;
  let b: StartedSignaling;
  let proxy: FailoverProxy;
  let upstream: StartedUpstream;
  let edge: StartedEdge;
  let configHome: string;
  beforeAll(async () => {
    [a, b] = (await startSignalingInstances(redis, 2, LIMITS)) as [
      StartedSignaling,
      StartedSignaling,
    ];
    proxy = await startFailoverProxy([a.port, b.port]);
    upstream = await startUpstream();
    configHome = await mkdtemp(join(tmpdir(), 'pf-redis-fail-'));
  });
  afterAll(async () => {
    await edge?.stop();
    if (edge) await removeStateDir(edge.stateDir);
    await proxy?.stop();
    await upstream?.stop();
    for (const server of [a, b]) await server?.stop();
    await rm(configHome, { recursive: true, force: true });
  });

  it('releases its ids within the bound, and its edge comes back on the other instance', async () => {
    // Everything reaches A through the load balancer while A lives.
    edge = await startEdge({ signalingUrl: proxy.url, routes: { '/up': upstream.url } });
    const paired = await pairCli(proxy.url, edge, configHome, (await pairingWindowOf(edge)).code);
    expect(paired.code).toBe(0);
    const onA = await raw(a, randomPeerId('gone'), 'gone-token');
    const roomsA = createRoomsApi({ baseUrl: a.url });
    await roomsA.join({ id: idOf(onA), token: 'gone-token', role: 'app', name: 'A' });
    const watcher = await raw(b, randomPeerId('watch'), 'watch-token');
    const watcherId = idOf(watcher);
    await createRoomsApi({ baseUrl: b.url }).join({
      id: watcherId,
      token: 'watch-token',
      role: 'app',
      name: 'B',
    });
    expect(await roomIdsSeenBy(b, watcherId, 'watch-token')).toContain(idOf(onA));
    const count = (msg: string) => edge.logs.filter((l) => l.msg === msg).length;
    const joins = count('joined room');

    a.process.kill('SIGKILL');
    const killedAt = Date.now();
    await expect
      .poll(() => roomIdsSeenBy(b, watcherId, 'watch-token'), {
        timeout: RELEASE_BOUND_MS + 5000,
        interval: 250,
      })
      .not.toContain(idOf(onA));
    expect(Date.now() - killedAt).toBeLessThan(RELEASE_BOUND_MS + 5000);
    // Released, yet still reserved for its token: a stranger cannot take it on B.
    const stranger = await raw(b, idOf(onA), 'stranger-token');
    expect(stranger.message.type).toBe('ID-TAKEN');
    const owner = await raw(b, idOf(onA), 'gone-token');
    expect(owner.message.type).toBe('OPEN');

    // The edge reconnected through the load balancer to B and serves the paired CLI again.
    await edge.waitForLog(() => count('joined room') > joins, 30_000);
    const fetched = await runClientCli(['fetch', '--device', edge.peerId, '/up/json?n=7'], {
      configHome,
    });
    expect(fetched.stderr).toBe('');
    expect(JSON.parse(fetched.stdout.toString())).toEqual({ hello: 'world', n: 7 });
  });
});

describe('redis killed and restarted empty', () => {
  let a: StartedSignaling;
  let b: StartedSignaling;
  beforeAll(async () => {
    [a, b] = (await startSignalingInstances(redis, 2, LIMITS)) as [
      StartedSignaling,
      StartedSignaling,
    ];
  });
  afterAll(async () => {
    for (const server of [a, b]) await server?.stop();
  });

  it('refuses new registrations clearly meanwhile and recovers on its own', async () => {
    const keeper = await raw(a, randomPeerId('keep'), 'keep-token');
    const keeperId = idOf(keeper);
    await createRoomsApi({ baseUrl: a.url }).join({
      id: keeperId,
      token: 'keep-token',
      role: 'edge',
      name: 'kept',
    });

    await redis.kill();
    await expect
      .poll(async () => (await httpRequest(`${a.url}/healthz`)).status, { timeout: 5000 })
      .toBe(503);
    const health = await httpRequest(`${a.url}/healthz`);
    expect(health.json).toMatchObject({ status: 'degraded', redis: 'down' });
    const refused = await raw(b, randomPeerId('new'), 'new-token');
    expect(refused.message).toEqual({
      type: 'ERROR',
      payload: {
        msg: 'the signaling server cannot reach its shared store (Redis); retry shortly',
      },
    });
    const rooms = await httpRequest(`${a.url}/rooms/members?id=${keeperId}&token=keep-token`);
    expect(rooms.status).toBe(503);
    expect(rooms.headers['content-type']).toMatch(/problem\+json/);
    // Nothing crashed; the connected peer kept its socket.
    expect(a.exitCode()).toBeNull();
    expect(b.exitCode()).toBeNull();
    expect(keeper.socket.readyState).toBe(keeper.socket.OPEN);

    await redis.restart();
    for (const server of [a, b]) {
      await expect
        .poll(async () => (await httpRequest(`${server.url}/healthz`)).status, {
          timeout: 15_000,
          interval: 250,
        })
        .toBe(200);
    }
    // A wrote its peer back: its reservation, and its room, hold again in the empty Redis.
    await expect
      .poll(() => raw(b, keeperId, 'stranger-token').then((r) => r.message.type), {
        timeout: 10_000,
      })
      .toBe('ID-TAKEN');
    expect(await roomIdsSeenBy(b, keeperId, 'keep-token')).toEqual([keeperId]);
    const fresh = await raw(b, randomPeerId('new'), 'new-token');
    expect(fresh.message.type).toBe('OPEN');
  });
});

/** The id a raw registration registered with. */
function idOf(registration: RawRegistration): string {
  return new URL(registration.socket.url).searchParams.get('id') ?? '';
}
