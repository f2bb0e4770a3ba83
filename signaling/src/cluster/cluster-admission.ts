/**
 * Admission with Redis: the same rules as admission.ts (reserved ids, new ids and open
 * sockets per address, takeover by the id's own token), decided by one atomic script over
 * the state every instance shares, so an id reserved on one instance cannot be taken on
 * another. While Redis is unreachable new registrations are refused with an ERROR saying
 * so; peers already connected keep their sockets.
 */
import type { IncomingMessage } from 'node:http';
import type { IClient } from 'peer';
import type { WebSocket } from 'ws';
import { addressKey, NEW_IDS_WINDOW_MS } from '../address-limits.js';
import {
  type AdmissionDeps,
  errorMessage,
  holdToBudget,
  ID_TAKEN,
  REPLACED,
  refuseSocket,
  registrationOf,
  retireReplaced,
} from '../admission.js';
import { tokenDigest } from '../reservations.js';
import { credentialsSchema } from '../routes/validation.js';
import { SharedStateUnavailableError } from '../shared-state.js';
import { CLAIM, RELEASE_OWNER_SCRIPT, RELEASE_SOCKET } from './lua.js';
import type { RunScript } from './redis-connection.js';
import type { RedisRoomStore } from './redis-rooms.js';
import type { Relay } from './relay.js';

const STORE_DOWN = errorMessage(
  'the signaling server cannot reach its shared store (Redis); retry shortly',
);

export type ClusterAdmissionDeps = Omit<AdmissionDeps, 'reservations' | 'newIds' | 'sockets'> & {
  instanceId: string;
  run: RunScript;
  relay: Relay;
  rooms: RedisRoomStore;
  reservationTtlMs: number;
  maxReservations: number;
  newIdsPerAddress: number;
  maxSocketsPerAddress: number;
};

export interface ClusterAdmission {
  admit(socket: WebSocket, req: IncomingMessage): Promise<boolean>;
  connected(client: IClient): void;
  disconnected(client: IClient): void;
  /** Another instance took `id` over with its token: closes the socket held here. */
  kicked(id: string): void;
  /** Open sockets admitted here, by address key (for a resync). */
  openSockets(): Record<string, number>;
  /** The address key `socket` is counted under. */
  addressOfSocket(socket: WebSocket): string | undefined;
}

export function createClusterAdmission(deps: ClusterAdmissionDeps): ClusterAdmission {
  const { run, logger, metrics, instanceId } = deps;
  /** The address key each admitted socket is counted under in Redis, until it closes. */
  const slots = new Map<WebSocket, string>();

  const quietly = (what: string) => (error: unknown) =>
    logger.debug({ err: error }, `could not ${what} in redis`);

  function releaseOwner(id: string): void {
    run(RELEASE_OWNER_SCRIPT, [id, instanceId, deps.now(), deps.reservationTtlMs]).catch(
      quietly('release a peer id'),
    );
  }

  function admitted(socket: WebSocket, id: string, address: string): void {
    slots.set(socket, address);
    socket.once('close', () => {
      slots.delete(socket);
      run(RELEASE_SOCKET, [address, instanceId]).catch(quietly('release a socket slot'));
      // Refused by PeerServer itself (its concurrent limit): the claim must not outlive it.
      if (!deps.peers.holderOf(id)) releaseOwner(id);
    });
    // Relayed messages are taken first; the budget, wrapped last, counts every message.
    deps.relay.intercept(socket, id);
    holdToBudget(socket, id, deps);
  }

  return {
    async admit(socket, req) {
      const registration = registrationOf(req, deps.peerKey);
      if (!registration) return true;
      const { id, token } = registration;
      const refuse = (message: string, reason: Parameters<typeof refuseSocket>[2]) =>
        refuseSocket(socket, message, reason, id, deps);
      if (!credentialsSchema.safeParse({ id, token }).success) {
        return refuse(errorMessage('invalid peer id or token'), 'bad_peer_id');
      }
      const address = addressKey(deps.addressOf(req));
      let verdict: string;
      let previous: string;
      let evicted: number;
      try {
        [verdict, previous, evicted] = (await run(CLAIM, [
          id,
          tokenDigest(token).toString('hex'),
          instanceId,
          address,
          deps.now(),
          deps.reservationTtlMs,
          deps.maxReservations,
          deps.newIdsPerAddress,
          NEW_IDS_WINDOW_MS,
          deps.maxSocketsPerAddress,
        ])) as [string, string, number];
      } catch (error) {
        if (!(error instanceof SharedStateUnavailableError)) throw error;
        return refuse(STORE_DOWN, 'store_unavailable');
      }
      if (verdict === 'taken') return refuse(ID_TAKEN, 'id_reserved');
      if (verdict === 'new_ids') {
        return refuse(
          errorMessage('too many new peer ids from this address; retry later'),
          'new_ids_per_address',
        );
      }
      if (verdict === 'sockets') {
        return refuse(
          errorMessage('too many open connections from this address'),
          'sockets_per_address',
        );
      }
      for (let i = 0; i < evicted; i++) metrics.reservationsEvicted.inc();
      if (socket.readyState !== socket.OPEN) {
        // Gone while Redis decided: give back what the claim took.
        run(RELEASE_SOCKET, [address, instanceId]).catch(quietly('release a socket slot'));
        if (!deps.peers.holderOf(id)) releaseOwner(id);
        return false;
      }
      admitted(socket, id, address);
      if (previous !== '' && previous !== instanceId) {
        deps.relay.kick(previous, id).catch(quietly('tell the previous instance'));
      }
      return true;
    },

    connected(client) {
      const previous = deps.peers.connected(client);
      // The old socket releases its own slot when it closes.
      if (previous) retireReplaced(previous, client, deps, () => {});
      deps.relay.deliverQueued(client.getId());
    },

    disconnected(client) {
      if (!deps.peers.disconnected(client)) return;
      deps.rooms.forget(client.getId());
      releaseOwner(client.getId());
    },

    kicked(id) {
      const socket = deps.peers.holderOf(id)?.client.getSocket();
      if (!socket) return;
      socket.send(errorMessage(REPLACED));
      socket.close();
      metrics.takeovers.inc();
      logger.info({ peer: id }, 'peer id taken over on another instance with its token');
    },

    addressOfSocket: (socket) => slots.get(socket),

    openSockets() {
      const counts: Record<string, number> = {};
      for (const address of slots.values()) counts[address] = (counts[address] ?? 0) + 1;
      return counts;
    },
  };
}
