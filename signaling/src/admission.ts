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
export const ID_TAKEN = JSON.stringify({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
export const REPLACED = 'this id connected again with its token; this connection is replaced';

export const errorMessage = (msg: string) => JSON.stringify({ type: 'ERROR', payload: { msg } });

/** Tells a socket PeerServer will never see why it is refused, and closes it; false. */
export function refuseSocket(
  socket: WebSocket,
  message: string,
  reason: RejectionReason,
  id: string,
  deps: Pick<AdmissionDeps, 'metrics' | 'logger'>,
): false {
  // PeerServer attaches its own error handler only to sockets it is given.
  socket.on('error', (error) => deps.logger.debug({ err: error }, 'error on a refused socket'));
  deps.metrics.rejections.inc({ reason });
  deps.logger.debug({ peer: id, reason }, 'peer socket refused');
  socket.send(message);
  socket.close();
  return false;
}

/**
 * The registration a socket asks for, read exactly as PeerServer reads it (a repeated
 * parameter: the last one counts), so the id checked is the id PeerServer registers.
 * Undefined when PeerServer answers it itself (missing parameters, a wrong key).
 */
export function registrationOf(
  req: IncomingMessage,
  peerKey: string,
): { id: string; token: string } | undefined {
  const { searchParams } = new URL(req.url ?? '', 'https://peerjs');
  const { id, token, key } = Object.fromEntries(searchParams.entries());
  if (!id || !token || key !== peerKey) return undefined;
  return { id, token };
}

/** Holds an admitted socket to MESSAGES_PER_SECOND / MESSAGE_BURST; over it, it is closed. */
export function holdToBudget(
  socket: WebSocket,
  id: string,
  deps: Pick<AdmissionDeps, 'metrics' | 'logger' | 'messageBudget'>,
): void {
  limitMessages(socket, deps.messageBudget, () => {
    deps.metrics.rejections.inc({ reason: 'message_rate' });
    deps.logger.info({ peer: id }, 'peer socket sent too many messages; closing it');
    socket.send(errorMessage('too many messages; this connection is closed'));
    socket.close();
  });
}

/**
 * Retires the socket `client` replaces for its id on this server: PeerServer either moved
 * its registration onto the new socket (then says nothing: OPEN is sent here) or registered
 * anew; the old socket is told why and closed. `release` gives back its per-address slot.
 */
export function retireReplaced(
  previous: Holder,
  client: IClient,
  deps: Pick<AdmissionDeps, 'metrics' | 'logger' | 'now'>,
  release: (socket: WebSocket) => void,
): void {
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
  deps.metrics.takeovers.inc();
  deps.logger.info(
    { peer: client.getId() },
    'peer id taken over by a new connection with its token',
  );
}

export function createAdmission(deps: AdmissionDeps): Admission {
  const { reservations, sockets, logger } = deps;
  /** The address key each admitted socket is counted under, until it closes. */
  const slots = new Map<WebSocket, string>();

  function release(socket: WebSocket): void {
    const key = slots.get(socket);
    if (key === undefined) return;
    slots.delete(socket);
    sockets.release(key);
  }

  const refuse = (socket: WebSocket, message: string, reason: RejectionReason, id: string) =>
    refuseSocket(socket, message, reason, id, deps);

  return {
    admit(socket, req) {
      const registration = registrationOf(req, deps.peerKey);
      // PeerServer answers missing parameters and a wrong key itself, and closes.
      if (!registration) return true;
      const { id, token } = registration;
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
      holdToBudget(socket, id, deps);
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
      if (previous) retireReplaced(previous, client, deps, release);
    },

    disconnected(client) {
      if (!deps.peers.disconnected(client)) return false;
      reservations.disconnected(client.getId());
      return true;
    },
  };
}
