/**
 * Turns incoming DataConnections into authenticated PeerFetch server sessions and keeps
 * track of them by client. Every session runs the edge's authenticator after the version
 * handshake; until it succeeds the shared session refuses requests, so nothing is served.
 */
import {
  type Authenticator,
  type DataChannelLike,
  DEFAULT_CLOSE_GRACE_MS,
  openSession,
  type PeerFetchSession,
  problemResponse,
  type RequestHandler,
  serveRequests,
} from '@peerfetch/shared';
import type { Logger } from '../logger.js';
import { withForgetEndpoint } from './forget-endpoint.js';
import {
  closeWhenSettled,
  type HeldChannel,
  holdMessages,
  onRemoteDataChannel,
} from './held-channel.js';

/** The part of a PeerJS DataConnection the manager uses. */
export interface IncomingConnection {
  readonly peer: string;
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
  /** Concurrent sessions; connections beyond this are answered 503 and closed. */
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
  /** A connection that is not open after this many ms is dropped. Default 20000. */
  openTimeoutMs?: number;
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
  /** Connections of ended sessions, waiting for their channel to close (held-channel.ts). */
  const hangingUp = new Set<Promise<void>>();
  const { logger } = options;

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
  }

  function untrack(clientId: string, session: PeerFetchSession) {
    sessions.delete(session);
    const own = byClient.get(clientId);
    own?.delete(session);
    if (own?.size === 0) byClient.delete(clientId);
  }

  /**
   * Calls `setup` inside the connection's 'open' event itself. Waiting on a promise instead
   * would lose the client's first frames: @roamhq/wrtc dispatches events through
   * process.nextTick, so a message queued with 'open' runs before any promise continuation.
   */
  function onOpen(connection: IncomingConnection, log: Logger, setup: () => void) {
    if (connection.open) {
      setup();
      return;
    }
    const timer = setTimeout(() => {
      log.warn('connection did not open in time');
      connection.close();
    }, options.openTimeoutMs ?? 20_000);
    connection.on('open', () => {
      clearTimeout(timer);
      setup();
    });
    connection.on('close', () => clearTimeout(timer));
  }

  function refuse(
    connection: IncomingConnection,
    session: PeerFetchSession,
    held: HeldChannel | undefined,
  ) {
    const busy = async () =>
      problemResponse(
        503,
        `this device already serves ${options.maxSessions} sessions`,
        {},
        {
          'retry-after': '10',
        },
      );
    serveRequests(session, busy, { maxConcurrentRequests: 4, logger: logger });
    const timer = setTimeout(() => session.close(), options.refusalLingerMs ?? 5000);
    void session.closed.then(() => {
      clearTimeout(timer);
      return hangUp(connection, held);
    });
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
    // Hold the channel's messages from the moment it exists (see held-channel.ts).
    let held: HeldChannel | undefined;
    if (connection.dataChannel)
      held = holdMessages(connection.dataChannel, connection.peerConnection);
    else
      onRemoteDataChannel(connection.peerConnection, (channel) => {
        held ??= holdMessages(channel, connection.peerConnection);
      });
    onOpen(connection, log, () => {
      try {
        serve(connection, log, held);
      } catch (error) {
        log.error({ err: (error as Error).message }, 'could not set up a session');
        connection.close();
      }
    });
  }

  /** Runs synchronously within the 'open' event (see onOpen). */
  function serve(connection: IncomingConnection, log: Logger, held: HeldChannel | undefined) {
    const session = openSession(held ?? connection.dataChannel, {
      role: 'server',
      maxMessageSize: options.maxMessageSizeOf(connection.peerConnection),
      logger: log,
      agent: options.agent,
      batch: options.batch,
      authenticate: options.authenticatorFor(connection, log),
    });
    connection.on('close', () => session.close());
    if (sessions.size >= options.maxSessions) {
      log.warn({ sessions: sessions.size }, 'session limit reached; refusing');
      refuse(connection, session, held);
      held?.release();
      return;
    }
    track(connection.peer, session);
    log.info({ sessions: sessions.size }, 'session opened');
    void session.closed.then((reason) => {
      untrack(connection.peer, session);
      void hangUp(connection, held);
      if (reason)
        log.warn({ err: reason.message, errName: reason.name }, 'session ended with an error');
      else log.info({ sessions: sessions.size }, 'session closed');
    });
    // The session itself holds requests back until the handshake (and authentication) succeed.
    const handler = withForgetEndpoint(options.handler, {
      clientId: connection.peer,
      forget: options.forgetClient,
      endSession: () => session.close(),
    });
    serveRequests(session, handler, {
      maxConcurrentRequests: options.maxConcurrentRequests,
      logger: log,
    });
    held?.release();
    session.ready.catch((error: Error) => {
      log.warn({ err: error.message }, 'session handshake failed');
    });
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
      const closing = [...sessions].map((session) => {
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
