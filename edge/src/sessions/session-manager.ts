/**
 * Turns incoming DataConnections into authenticated PeerFetch server sessions and keeps
 * track of them by client. Every session runs the edge's authenticator after the version
 * handshake; until it succeeds the shared session refuses requests, so nothing is served.
 */

import {
  AuthenticationError,
  type Authenticator,
  type DataChannelLike,
  DEFAULT_CLOSE_GRACE_MS,
  openSession,
  type PeerFetchSession,
  problemResponse,
  type RequestHandler,
  SessionClosedError,
  SessionDeadError,
  serveRequests,
} from '@peerfetch/shared';
import type { Logger } from '../logger.js';
import {
  closeWhenSettled,
  type HeldChannel,
  holdMessages,
  onRemoteDataChannel,
} from '../webrtc/held-channel.js';
import { onOpen } from '../webrtc/open-event.js';
import { followPath, pathOf } from '../webrtc/path.js';
import { withForgetEndpoint } from './forget-endpoint.js';

/** The part of a PeerJS DataConnection the manager uses. */
export interface IncomingConnection {
  readonly peer: string;
  readonly connectionId: string;
  readonly reliable: boolean;
  readonly serialization: string;
  readonly open: boolean;
  readonly dataChannel: DataChannelLike;
  readonly peerConnection: unknown;
  on(event: 'open' | 'close' | 'error', listener: (arg?: unknown) => void): unknown;
  close(): void;
}

export interface SessionManagerOptions {
  handler: RequestHandler;
  logger: Logger;
  /**
   * Concurrent authenticated sessions; sessions beyond this are answered 503 and closed.
   * Connections that have not authenticated yet never count here (the signaling guard caps
   * them), so strangers cannot take a paired client's place.
   */
  maxSessions: number;
  /** Requests in flight per session (more get 429). */
  maxConcurrentRequests: number;
  /** Reads the peer's SCTP maximum message size from the connection's RTCPeerConnection. */
  maxMessageSizeOf(peerConnection: unknown): number;
  /** Name and version announced in the handshake, for the client's logs. */
  agent?: string;
  /** Pack frames into BATCH messages with clients that accept it. */
  batch?: boolean;
  /**
   * Proves the client of one connection before anything is served (required: there is no
   * unauthenticated session). The shared session runs it after the version handshake, so
   * `serveRequests` never sees a request from an unproven peer.
   */
  authenticatorFor(connection: IncomingConnection, log: Logger): Authenticator;
  /** Removes a client's pairing (`DELETE /.well-known/peerfetch/pairing`). */
  forgetClient(clientId: string): Promise<void>;
  /** Called once a connection's client has proved its pairing. */
  onAuthenticated?(connection: IncomingConnection): void;
  /** Called with the clients that have sessions, whenever that set changes. */
  onClientsChanged?(clientIds: string[]): void;
  /**
   * A connection that has not opened and authenticated this many ms after it arrived is
   * closed, so an unauthenticated peer holds its resources only briefly. Default 20000.
   */
  preAuthDeadlineMs?: number;
  /** How long a refused session stays up so its 503 can be read. Default 5000. */
  refusalLingerMs?: number;
}

export interface SessionManager {
  accept(connection: IncomingConnection): void;
  /** Sessions being served right now. */
  readonly size: number;
  /** Closes every session of one client; returns how many there were. */
  closeClient(clientId: string): number;
  /** Closes every session and waits (bounded) until their connections have closed. */
  closeAll(timeoutMs?: number): Promise<void>;
}

/**
 * How long stopping waits for clients to close their channels: their grace and two seconds
 * more. A client behind a slow link may take longer; the edge is leaving anyway.
 */
const SHUTDOWN_HANG_UP_MS = DEFAULT_CLOSE_GRACE_MS + 2_000;

export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const sessions = new Set<PeerFetchSession>();
  const byClient = new Map<string, Set<PeerFetchSession>>();
  /** Connections of ended sessions, waiting for their channel to close (webrtc/held-channel.ts). */
  const hangingUp = new Set<Promise<void>>();
  /** Sessions still in their handshake: closed at shutdown, never counted as served. */
  const unauthenticated = new Set<PeerFetchSession>();
  const { logger } = options;

  const busy = async () =>
    problemResponse(
      503,
      `this device already serves ${options.maxSessions} sessions`,
      {},
      { 'retry-after': '10' },
    );

  /** Closes the connection once the session's channel has closed; closeAll waits for it. */
  function hangUp(connection: IncomingConnection, held: HeldChannel | undefined): Promise<void> {
    const done = closeWhenSettled(connection, held).finally(() => hangingUp.delete(done));
    hangingUp.add(done);
    return done;
  }

  function track(clientId: string, session: PeerFetchSession) {
    sessions.add(session);
    const own = byClient.get(clientId) ?? new Set();
    own.add(session);
    byClient.set(clientId, own);
    if (own.size === 1) options.onClientsChanged?.([...byClient.keys()]);
  }

  function untrack(clientId: string, session: PeerFetchSession) {
    sessions.delete(session);
    const own = byClient.get(clientId);
    own?.delete(session);
    if (own?.size !== 0) return;
    byClient.delete(clientId);
    options.onClientsChanged?.([...byClient.keys()]);
  }

  function accept(connection: IncomingConnection) {
    const log = logger.child({ client: connection.peer });
    if (!connection.reliable || connection.serialization !== 'raw') {
      log.warn(
        { reliable: connection.reliable, serialization: connection.serialization },
        'refusing a connection that is not reliable and raw',
      );
      connection.close();
      return;
    }
    // Hold the channel's messages from the moment it exists (see webrtc/held-channel.ts).
    let held: HeldChannel | undefined;
    if (connection.dataChannel)
      held = holdMessages(connection.dataChannel, connection.peerConnection);
    else
      onRemoteDataChannel(connection.peerConnection, (channel) => {
        held ??= holdMessages(channel, connection.peerConnection);
      });
    let session: PeerFetchSession | undefined;
    const deadlineMs = options.preAuthDeadlineMs ?? 20_000;
    const deadline = setTimeout(() => {
      log.info({ deadlineMs }, 'connection did not open and authenticate in time; closing');
      if (session) session.close();
      else connection.close();
    }, deadlineMs);
    connection.on('close', () => clearTimeout(deadline));
    onOpen(connection, () => {
      try {
        session = serve(connection, log, held, () => clearTimeout(deadline));
      } catch (error) {
        clearTimeout(deadline);
        log.error({ err: (error as Error).message }, 'could not set up a session');
        connection.close();
      }
    });
  }

  /** Runs synchronously within the 'open' event (see webrtc/open-event.ts). */
  function serve(
    connection: IncomingConnection,
    log: Logger,
    held: HeldChannel | undefined,
    onAuthenticated: () => void,
  ): PeerFetchSession {
    const session = openSession(held ?? connection.dataChannel, {
      role: 'server',
      maxMessageSize: options.maxMessageSizeOf(connection.peerConnection),
      logger: log,
      agent: options.agent,
      batch: options.batch,
      authenticate: options.authenticatorFor(connection, log),
    });
    connection.on('close', () => session.close());
    unauthenticated.add(session);
    /**
     * Only an authenticated session takes a place among `maxSessions`. The verdict is made
     * on the first of `ready` and the first request, whichever runs first: wrtc's message
     * events (process.nextTick) can overtake the promise continuation.
     */
    let verdict: 'served' | 'refused' | undefined;
    let handshakeFailed = false;
    const decide = () => {
      if (verdict) return verdict;
      unauthenticated.delete(session);
      onAuthenticated();
      options.onAuthenticated?.(connection);
      if (sessions.size >= options.maxSessions) {
        log.warn({ sessions: sessions.size }, 'session limit reached; refusing');
        const timer = setTimeout(() => session.close(), options.refusalLingerMs ?? 5000);
        void session.closed.then(() => clearTimeout(timer));
        verdict = 'refused';
        return verdict;
      }
      track(connection.peer, session);
      void pathOf(connection.peerConnection).then((path) => {
        log.info({ sessions: sessions.size, ...path }, 'session opened');
        // ICE often starts on a relay and moves to a direct pair a moment later.
        followPath(connection.peerConnection, path, session.closed, (change) =>
          log.info(change, 'session path changed'),
        );
      });
      verdict = 'served';
      return verdict;
    };
    void session.closed.then((reason) => {
      unauthenticated.delete(session);
      if (verdict === 'served') untrack(connection.peer, session);
      void hangUp(connection, held);
      // One line per session end, a warning only for what someone should look at: a failed
      // handshake was told when it failed, and a peer that went away (a closed tab, a lost
      // network) is routine.
      if (handshakeFailed) return;
      if (reason && !endedByPeer(reason))
        log.warn({ err: reason.message, errName: reason.name }, 'session ended with an error');
      else if (verdict === 'served')
        log.info({ sessions: sessions.size, reason: reason?.message }, 'session closed');
    });
    // The session itself holds requests back until the handshake (and authentication) succeed.
    const handler = withForgetEndpoint(options.handler, {
      clientId: connection.peer,
      forget: options.forgetClient,
      endSession: () => session.close(),
    });
    serveRequests(session, (request) => (decide() === 'served' ? handler(request) : busy()), {
      maxConcurrentRequests: options.maxConcurrentRequests,
      logger: log,
    });
    held?.release();
    session.ready.then(decide, (error: Error) => {
      handshakeFailed = true;
      // The authenticator has told why (wrong code, not paired); anything else is told here.
      if (!(error.cause instanceof AuthenticationError))
        log.warn({ err: error.message }, 'session handshake failed');
    });
    return session;
  }

  return {
    accept(connection) {
      try {
        accept(connection);
      } catch (error) {
        logger.error({ err: (error as Error).message }, 'could not set up a session');
        connection.close();
      }
    },
    get size() {
      return sessions.size;
    },
    closeClient(clientId) {
      const own = [...(byClient.get(clientId) ?? [])];
      for (const session of own) session.close();
      return own.length;
    },
    async closeAll(timeoutMs = SHUTDOWN_HANG_UP_MS) {
      const closing = [...sessions, ...unauthenticated].map((session) => {
        session.close();
        return session.closed;
      });
      // Each ended session starts its hang-up from its own `closed` handler, which runs
      // before this one; the hang-up waits for the peer to close the channel (PROTOCOL.md
      // §8). Stopping the presence before that would tear the connections down under it.
      const hungUp = Promise.allSettled(closing).then(() => Promise.allSettled([...hangingUp]));
      await Promise.race([hungUp, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
}

/** The peer closed its side or fell silent (a closed tab, a phone that lost its network). */
function endedByPeer(reason: Error): boolean {
  return reason instanceof SessionClosedError || reason instanceof SessionDeadError;
}
