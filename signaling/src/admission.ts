/**
 * Decides on every PeerJS socket before PeerServer sees it, and finishes what PeerServer
 * leaves undone once it has accepted one:
 * - an id reserved for another token is refused with ID-TAKEN (stock PeerJS clients report
 *   `unavailable-id`); other refusals are an ERROR message (`server-error`), then close;
 * - an address holds at most so many open sockets and reserves so many new ids per hour;
 * - a new socket with the id's own token takes over from an old one that is still open (a
 *   crashed owner's half-open socket): the new one is told OPEN, the old one is closed.
 */
import type { IncomingMessage } from 'node:http';
import type { IClient } from 'peer';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { addressKey, type OpenCounter, type WindowQuota } from './address-limits.js';
import type { AddressOf } from './client-address.js';
import { limitMessages, type MessageBudget } from './message-budget.js';
import type { RejectionReason, SignalingMetrics } from './metrics.js';
import type { Holder, PeerDirectory } from './peers.js';
import type { ReservationBook } from './reservations.js';
import { credentialsSchema } from './routes/validation.js';

export interface AdmissionDeps {
  peerKey: string;
  addressOf: AddressOf;
  reservations: ReservationBook;
  /** New id reservations per address per window. */
  newIds: WindowQuota;
  /** Open PeerJS sockets per address. */
  sockets: OpenCounter;
  peers: PeerDirectory;
  metrics: SignalingMetrics;
  /** What one admitted socket may send (message-budget.ts). */
  messageBudget: MessageBudget;
  logger: Logger;
  now: () => number;
}

export interface Admission {
  /** True lets PeerServer handle the socket; false means it was told why and is closing. */
  admit(socket: WebSocket, req: IncomingMessage): boolean;
  /** PeerServer accepted `client`: reserves its id and retires any socket it replaces. */
  connected(client: IClient): void;
  /** PeerServer dropped `client`; true when it held its id (its room membership ends). */
  disconnected(client: IClient): boolean;
}

/** PeerServer's own wording, which stock clients turn into `unavailable-id`. */
const ID_TAKEN = JSON.stringify({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
const REPLACED = 'this id connected again with its token; this connection is replaced';

const errorMessage = (msg: string) => JSON.stringify({ type: 'ERROR', payload: { msg } });

export function createAdmission(deps: AdmissionDeps): Admission {
  const { reservations, sockets, metrics, logger } = deps;
  /** The address key each admitted socket is counted under, until it closes. */
  const slots = new Map<WebSocket, string>();

  function release(socket: WebSocket): void {
    const key = slots.get(socket);
    if (key === undefined) return;
    slots.delete(socket);
    sockets.release(key);
  }

  function refuse(socket: WebSocket, message: string, reason: RejectionReason, id: string) {
    // PeerServer attaches its own error handler only to sockets it is given.
    socket.on('error', (error) => logger.debug({ err: error }, 'error on a refused socket'));
    metrics.rejections.inc({ reason });
    logger.debug({ peer: id, reason }, 'peer socket refused');
    socket.send(message);
    socket.close();
    return false;
  }

  function retire(previous: Holder, client: IClient): void {
    const old = previous.socket;
    if (old === null || old === client.getSocket()) return;
    if (previous.client === client) {
      // PeerServer moved its existing registration onto the new socket without saying OPEN.
      client.send({ type: 'OPEN' });
    } else {
      // The old registration's close handler must not unregister the new one.
      previous.client.setSocket(null);
    }
    // The old socket's last heartbeat must not time out the new one.
    client.setLastPing(deps.now());
    release(old);
    old.send(errorMessage(REPLACED));
    old.close();
    metrics.takeovers.inc();
    logger.info({ peer: client.getId() }, 'peer id taken over by a new connection with its token');
  }

  return {
    admit(socket, req) {
      // Read exactly as PeerServer reads it (a repeated parameter: the last one counts), so
      // the id checked here is the id PeerServer registers.
      const { searchParams } = new URL(req.url ?? '', 'https://peerjs');
      const { id, token, key } = Object.fromEntries(searchParams.entries());
      // PeerServer answers missing parameters and a wrong key itself, and closes.
      if (!id || !token || key !== deps.peerKey) return true;
      if (!credentialsSchema.safeParse({ id, token }).success) {
        return refuse(socket, errorMessage('invalid peer id or token'), 'bad_peer_id', id);
      }
      const address = addressKey(deps.addressOf(req));
      const reservation = reservations.check(id, token);
      if (reservation === 'taken') return refuse(socket, ID_TAKEN, 'id_reserved', id);
      if (reservation === 'free' && !deps.newIds.hasRoom(address)) {
        const message = 'too many new peer ids from this address; retry later';
        return refuse(socket, errorMessage(message), 'new_ids_per_address', id);
      }
      // A takeover hands the old socket's place to the new one, so an address at its cap
      // can still replace its own half-open socket.
      const replacing = reservation === 'owner' ? deps.peers.holderOf(id)?.socket : undefined;
      if (replacing && slots.get(replacing) === address) release(replacing);
      if (!sockets.acquire(address)) {
        const message = 'too many open connections from this address';
        return refuse(socket, errorMessage(message), 'sockets_per_address', id);
      }
      slots.set(socket, address);
      socket.once('close', () => release(socket));
      limitMessages(socket, deps.messageBudget, () => {
        metrics.rejections.inc({ reason: 'message_rate' });
        logger.info({ peer: id }, 'peer socket sent too many messages; closing it');
        socket.send(errorMessage('too many messages; this connection is closed'));
        socket.close();
      });
      return true;
    },

    connected(client) {
      const socket = client.getSocket();
      const outcome = reservations.connected(client.getId(), client.getToken());
      if (outcome === 'conflict') {
        // Admission checked this synchronously; reaching here would be a bug in that check.
        logger.error({ peer: client.getId() }, 'registration of a reserved id got through');
        socket?.send(ID_TAKEN);
        socket?.close();
        return;
      }
      const address = socket ? slots.get(socket) : undefined;
      if (outcome === 'created' && address !== undefined) deps.newIds.take(address);
      const previous = deps.peers.connected(client);
      if (previous) retire(previous, client);
    },

    disconnected(client) {
      if (!deps.peers.disconnected(client)) return false;
      reservations.disconnected(client.getId());
      return true;
    },
  };
}
