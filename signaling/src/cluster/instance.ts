/**
 * One instance's life in Redis:
 * - a heartbeat key that expires INSTANCE_TTL_MS after the instance stops (crash, power cut,
 *   partition), after which any other instance releases the ids it held, so a dead
 *   instance's peers are gone from rooms and free to register elsewhere within about
 *   INSTANCE_TTL_MS + REAP_INTERVAL_MS;
 * - a resync each time Redis becomes reachable: the instance writes back the peers it holds
 *   (Redis may have restarted empty, or reaped it during a partition).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ID_TAKEN } from '../admission.js';
import type { PeerDirectory } from '../peers.js';
import { tokenDigest } from '../reservations.js';
import type { ClusterAdmission } from './cluster-admission.js';
import { aliveKey, INSTANCES_KEY } from './keys.js';
import { REAP, RESYNC } from './lua.js';
import type { RedisConnections, RunScript } from './redis-connection.js';
import type { RedisRoomStore } from './redis-rooms.js';

/** How long a silent instance counts as alive. */
export const INSTANCE_TTL_MS = 6000;
/** How often an instance renews its heartbeat key: three chances within its TTL. */
const HEARTBEAT_INTERVAL_MS = 2000;
/** How often each instance looks for dead ones. */
const REAP_INTERVAL_MS = 2000;

export interface InstanceKeeperDeps {
  instanceId: string;
  connections: RedisConnections;
  run: RunScript;
  peers: PeerDirectory;
  admission: ClusterAdmission;
  rooms: RedisRoomStore;
  reservationTtlMs: number;
  logger: Logger;
  now: () => number;
}

export interface InstanceKeeper {
  start(): void;
  /** Stops the timers, deletes the heartbeat key and releases what this instance held. */
  stop(): Promise<void>;
}

export function createInstanceKeeper(deps: InstanceKeeperDeps): InstanceKeeper {
  const { instanceId, run, logger } = deps;
  const redis: Redis = deps.connections.command;
  const timers: NodeJS.Timeout[] = [];
  /** Set when a resync failed: the next heartbeat tries it again. */
  let resyncPending = false;

  async function beat(): Promise<void> {
    await redis
      .multi()
      .set(aliveKey(instanceId), '1', 'PX', INSTANCE_TTL_MS)
      .sadd(INSTANCES_KEY, instanceId)
      .exec();
  }

  async function reap(): Promise<void> {
    for (const other of await redis.smembers(INSTANCES_KEY)) {
      if (other === instanceId) continue;
      const released = (await run(REAP, [other, deps.now(), deps.reservationTtlMs])) as number;
      if (released >= 0) {
        logger.info({ instance: other, released }, 'released the peer ids of a dead instance');
      }
    }
  }

  async function resync(): Promise<void> {
    resyncPending = true;
    await beat();
    const peers = [];
    for (const { client, socket } of deps.peers.holders()) {
      const address = socket ? deps.admission.addressOfSocket(socket) : undefined;
      if (!socket || address === undefined) continue;
      const id = client.getId();
      const room = deps.rooms.remembered.get(id) ?? false;
      peers.push([id, tokenDigest(client.getToken()).toString('hex'), address, room]);
    }
    const lost = (await run(RESYNC, [
      instanceId,
      deps.now(),
      deps.reservationTtlMs,
      JSON.stringify(peers),
      JSON.stringify(deps.admission.openSockets()),
    ])) as string[];
    for (const id of lost) {
      // Another token registered the id while this instance could not say it held it.
      const socket = deps.peers.holderOf(id)?.client.getSocket();
      socket?.send(ID_TAKEN);
      socket?.close();
    }
    resyncPending = false;
    logger.info({ peers: peers.length, lost: lost.length }, 'shared state resynced');
  }

  function every(intervalMs: number, task: () => Promise<void>, what: string): void {
    const timer = setInterval(() => {
      if (!deps.connections.isUp()) return;
      task().catch((error: unknown) =>
        logger.debug({ err: (error as Error).message }, `${what} failed`),
      );
    }, intervalMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    start() {
      deps.connections.onUp(() => {
        resync().catch((error: unknown) =>
          logger.warn({ err: (error as Error).message }, 'resync with redis failed'),
        );
      });
      every(HEARTBEAT_INTERVAL_MS, () => (resyncPending ? resync() : beat()), 'heartbeat');
      every(REAP_INTERVAL_MS, reap, 'reaping dead instances');
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      // Gone cleanly: release its own ids now rather than when the heartbeat key expires.
      await redis.del(aliveKey(instanceId)).catch(() => undefined);
      await run(REAP, [instanceId, deps.now(), deps.reservationTtlMs]).catch(() => undefined);
    },
  };
}
