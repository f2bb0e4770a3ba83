/**
 * Keeps the edge registered with the signaling server under its stable id and present in
 * its room as an `edge`: reconnects with backoff after any loss, keeps retrying through
 * ID-TAKEN, re-joins the room and fetches ICE servers after every reconnect, and again
 * before their TURN credentials expire while it stays registered. Existing sessions are
 * untouched by all of this (PeerJS keeps connections open while its server socket is down).
 */
import {
  type BackoffOptions,
  backoffDelayMs,
  type IceRefresh,
  type IceServer,
  keepIceServersFresh,
  peerServerOptions,
  type RoomsApi,
  RoomsApiError,
} from '@peerfetch/shared';
import type { Logger } from '../logger.js';
import type { Identity } from '../state/identity.js';
import type { DataConnection, Peer } from '../webrtc/index.js';

export type PresenceState = 'connecting' | 'registered' | 'joined' | 'reconnecting' | 'stopped';

export interface PresenceOptions {
  Peer: typeof Peer;
  identity: Identity;
  signalingUrl: string;
  /** PeerJS server key. */
  key: string;
  /** Device name announced in the room. */
  name: string;
  /** Fixed ICE servers; when absent they come from the signaling server's `/ice`. */
  iceServers?: IceServer[];
  /** Offer and accept relay candidates only (iceTransportPolicy `relay`). */
  relayOnly?: boolean;
  rooms: Pick<RoomsApi, 'join' | 'leave' | 'iceServers'>;
  logger: Logger;
  /** Called for every incoming DataConnection. */
  onConnection(connection: DataConnection): void;
  /**
   * Peers told on the first registration that their connections to this id are gone (a
   * PeerJS LEAVE, relayed by the server): sessions of a crashed process of this edge.
   */
  dropConnectionsOf?: readonly string[];
  /** Reconnect delays; each field defaults to {@link SIGNALING_BACKOFF}'s. */
  backoff?: BackoffOptions;
  /** A (re)connection that has not registered after this many ms is restarted. Default 15000. */
  registerTimeoutMs?: number;
}

export interface Presence {
  readonly state: PresenceState;
  /** Completed registrations since start (1 after the first, 2 after one reconnect, ...). */
  readonly registrations: number;
  start(): void;
  /** Leaves the room (best effort, bounded) and destroys the peer. */
  stop(): Promise<void>;
}

/**
 * Reconnect delays to the signaling server: 0.5 s doubling to at most 5 s, so a restarted
 * server is found within seconds; half of each delay may be taken off at random, so the
 * edges that lost it do not all come back at once.
 */
export const SIGNALING_BACKOFF = { initialMs: 500, maxMs: 5000, jitter: 0.5 } as const;

/** How long leaving the room may take at shutdown. */
const LEAVE_TIMEOUT_MS = 2000;

export function createPresence(options: PresenceOptions): Presence {
  const { identity, logger } = options;
  const credentials = { id: identity.peerId, token: identity.token };
  const target = peerServerOptions(options.signalingUrl);
  const backoff = { ...SIGNALING_BACKOFF, ...options.backoff };
  let peer: Peer | undefined;
  let state: PresenceState = 'connecting';
  let attempt = 0;
  let registrations = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  /** Bumped on every registration so a stale room join gives up. */
  let epoch = 0;
  /** True from the first ID-TAKEN until the next registration: one warning per episode. */
  let idRefused = false;
  let iceRefresh: IceRefresh | undefined;

  function armWatchdog() {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      if (state === 'stopped' || peer?.open) return;
      logger.warn({ attempt }, 'registration did not complete in time; retrying');
      if (peer && !peer.disconnected) peer.disconnect();
      else scheduleRetry();
    }, options.registerTimeoutMs ?? 15_000);
  }

  function createPeer() {
    const current = new options.Peer(identity.peerId, {
      ...target,
      key: options.key,
      token: identity.token,
      config: {
        iceServers: options.iceServers ?? [],
        iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
      },
      debug: 0,
    });
    peer = current;
    current.on('open', () => {
      if (registrations === 0) sayLeft(current);
      void onOpen(current);
    });
    current.on('connection', (connection) => options.onConnection(connection));
    current.on('disconnected', () => {
      if (state === 'stopped') return;
      state = 'reconnecting';
      // A refused id was already reported once for this episode.
      if (idRefused) logger.debug('disconnected from signaling; reconnecting');
      else logger.warn('lost the signaling server; reconnecting');
      scheduleRetry();
    });
    // PeerJS destroys a peer whose first registration fails; a fresh one takes its place.
    current.on('close', () => {
      if (state !== 'stopped' && peer === current) scheduleRetry();
    });
    current.on('error', (error) => {
      const type = (error as { type?: string }).type;
      if (type === 'unavailable-id') {
        // A server that reserves ids lets our own token take over at once, so a refusal
        // there means another token holds the id; older servers also refuse while our own
        // previous socket lingers.
        if (!idRefused) {
          logger.warn(
            { peerId: identity.peerId },
            'the signaling server refuses this peer id: another registration holds it (someone else with a different token, or our own previous connection on a server that does not reserve ids); retrying with backoff',
          );
        } else logger.debug('peer id still refused; retrying');
        idRefused = true;
      } else if (type === 'webrtc') {
        // libwebrtc refused a peer's offer or candidate: anyone in the room can cause this
        // at will, and that connection's failure is logged when the session manager closes it.
        logger.debug({ err: error.message }, 'a peer connection failed to negotiate');
      } else if (type !== 'network' && type !== 'peer-unavailable') {
        logger.warn({ type, err: error.message }, 'signaling error');
      }
    });
    armWatchdog();
  }

  function sayLeft(current: Peer) {
    const ids = options.dropConnectionsOf ?? [];
    for (const id of ids) current.socket.send({ type: 'LEAVE', dst: id });
    if (ids.length > 0)
      logger.info({ clients: ids }, 'told the clients of the previous process to reconnect');
  }

  function scheduleRetry() {
    if (state === 'stopped' || retryTimer) return;
    const delay = backoffDelayMs(attempt++, backoff);
    logger.info({ delayMs: delay, attempt }, 'reconnecting to signaling');
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (state === 'stopped') return;
      if (!peer || peer.destroyed) createPeer();
      else if (peer.disconnected) {
        peer.reconnect();
        armWatchdog();
      }
    }, delay);
  }

  async function onOpen(current: Peer) {
    clearTimeout(watchdog);
    attempt = 0;
    idRefused = false;
    registrations++;
    state = 'registered';
    const mine = ++epoch;
    logger.info({ peerId: identity.peerId }, 'registered with signaling');
    if (!options.iceServers) {
      iceRefresh?.stop();
      iceRefresh = keepIceServersFresh({
        fetch: () => options.rooms.iceServers(credentials),
        // PeerJS reads options.config for every new RTCPeerConnection it makes.
        apply: (iceServers) => {
          current.options.config = { ...current.options.config, iceServers };
          logger.debug({ servers: iceServers.length }, 'ICE servers fetched');
        },
        onError: (error, retryInMs) =>
          logger.warn(
            { err: (error as Error).message, retryInMs },
            'could not fetch ICE servers; keeping the current ones',
          ),
      });
      await iceRefresh.ready;
    }
    for (let tries = 0; state === 'registered' && epoch === mine; tries++) {
      try {
        const listing = await options.rooms.join({
          ...credentials,
          role: 'edge',
          name: options.name,
        });
        if (epoch !== mine || state !== 'registered') return;
        state = 'joined';
        logger.info({ room: listing.room, members: listing.members.length }, 'joined room');
        return;
      } catch (error) {
        const delay = backoffDelayMs(tries, backoff);
        logger.warn({ err: (error as Error).message, delayMs: delay }, 'joining the room failed');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  return {
    get state() {
      return state;
    },
    get registrations() {
      return registrations;
    },
    start() {
      createPeer();
    },
    async stop() {
      const wasJoined = state === 'joined';
      state = 'stopped';
      clearTimeout(retryTimer);
      clearTimeout(watchdog);
      iceRefresh?.stop();
      if (wasJoined) {
        await options.rooms
          .leave(credentials, AbortSignal.timeout(LEAVE_TIMEOUT_MS))
          .catch((error: Error) => {
            // A server that answered and refused is worth a warning. One that is gone or
            // stopping too (Ctrl-C of `npm start` reaches both) drops this device from its
            // room anyway, when our connection to it closes.
            if (error instanceof RoomsApiError)
              logger.warn({ err: error.message }, 'leaving the room failed');
            else
              logger.info(
                { err: error.message },
                'did not leave the room: the signaling server is unreachable; it drops this device when the connection closes',
              );
          });
      }
      peer?.destroy();
    },
  };
}
