/**
 * The state backend with REDIS_URL: peer id ownership, reservations, rooms, the queue for
 * absent peers, per-address caps and rate limits live in Redis, shared by every instance;
 * relayed messages cross instances through Redis pub/sub (relay.ts). Each instance still
 * holds its own sockets and PeerServer; its heartbeat lets the others release its ids if
 * it dies (instance.ts).
 */
import { randomUUID } from 'node:crypto';
import type { BackendDeps } from '../memory-state.js';
import type { StateBackend } from '../state-backend.js';
import { createClusterAdmission } from './cluster-admission.js';
import { createInstanceKeeper } from './instance.js';
import { IDLE_RESERVATIONS_KEY, LIVE_RESERVATIONS_KEY } from './keys.js';
import { asStoreError, connectRedis, scriptRunner } from './redis-connection.js';
import { redisRateLimitStores } from './redis-rate-limit.js';
import { createRedisPeerVerifier, createRedisRoomStore } from './redis-rooms.js';
import { createRelay } from './relay.js';

/** PeerServer's expire_timeout: how long a message waits for an absent id. */
const QUEUE_EXPIRE_MS = 5000;
/**
 * How long start waits for Redis before listening anyway: a normal start is ready when it
 * says so, and a start while Redis is down still serves (degraded) instead of failing.
 */
const FIRST_CONNECT_WAIT_MS = 5000;

export function createClusterState(deps: BackendDeps & { redisUrl: string }): StateBackend {
  const { config, peers, metrics, now } = deps;
  const instanceId = randomUUID();
  const logger = deps.logger.child({ instance: instanceId });
  const connections = connectRedis(deps.redisUrl, logger.child({ component: 'redis' }));
  const run = scriptRunner(connections.command);
  const rooms = createRedisRoomStore(connections.command, run, {
    maxRoomSize: config.maxRoomSize,
    maxMembersPerAddress: config.maxMembersPerAddress,
    isLocal: (id) => peers.holderOf(id) !== undefined,
    now,
  });
  const relay = createRelay({
    instanceId,
    subscriber: connections.subscriber,
    command: connections.command,
    run,
    peers,
    metrics,
    logger,
    expireTimeoutMs: QUEUE_EXPIRE_MS,
    onKick: (id) => admission.kicked(id),
    now,
  });
  const admission = createClusterAdmission({
    peerKey: config.peerKey,
    addressOf: deps.addressOf,
    peers,
    metrics,
    messageBudget: config.messageBudget,
    logger,
    now,
    instanceId,
    run,
    relay,
    rooms,
    reservationTtlMs: config.reservationTtlMs,
    maxReservations: config.maxReservations,
    newIdsPerAddress: config.newIdsPerAddress,
    maxSocketsPerAddress: config.maxSocketsPerAddress,
  });
  const keeper = createInstanceKeeper({
    instanceId,
    connections,
    run,
    peers,
    admission,
    rooms,
    reservationTtlMs: config.reservationTtlMs,
    logger,
    now,
  });
  const rateLimitStore = redisRateLimitStores(connections.command);

  return {
    gate: (socket, req) => admission.admit(socket, req),
    connected: (client) => admission.connected(client),
    disconnected: (client) => admission.disconnected(client),
    verifier: createRedisPeerVerifier(run),
    rooms,
    async reservationCount() {
      try {
        const [live, idle] = await Promise.all([
          connections.command.scard(LIVE_RESERVATIONS_KEY),
          connections.command.zcard(IDLE_RESERVATIONS_KEY),
        ]);
        return live + idle;
      } catch (error) {
        throw asStoreError(error);
      }
    },
    async health() {
      const up = connections.isUp();
      const body = {
        status: up ? 'ok' : 'degraded',
        redis: up ? 'up' : 'down',
        instance: instanceId,
        peers: peers.size,
        ...(up ? { rooms: await rooms.roomCount().catch(() => undefined) } : {}),
        ...(up ? {} : { detail: 'Redis is unreachable: new registrations are refused' }),
      };
      return { ok: up, body };
    },
    rateLimitStore,
    connectionStore: rateLimitStore('ws'),
    redisUp: () => connections.isUp(),
    async start() {
      await relay.start();
      keeper.start();
      if (!connections.isUp()) {
        let timer: NodeJS.Timeout | undefined;
        const up = await Promise.race([
          new Promise<boolean>((resolve) => connections.onUp(() => resolve(true))),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), FIRST_CONNECT_WAIT_MS);
          }),
        ]);
        clearTimeout(timer);
        if (!up) logger.warn('redis not reachable yet: listening anyway, registrations refused');
      }
    },
    async close() {
      relay.stop();
      await keeper.stop();
      await connections.close();
    },
  };
}
