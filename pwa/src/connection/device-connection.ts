import {
  type BackoffOptions,
  backoffDelayMs,
  type ClientCredentials,
  type ClientSessionSettings,
  createPeerFetch,
  type PeerFetch,
  readPathStats,
  type Session,
} from '@peerfetch/shared';
import { authFailureOf } from './auth-failure';
import { openDialedSession } from './client-session';
import type { ConnectionState } from './connection-state';
import {
  DeviceFailedError,
  DeviceOfflineError,
  describeConnectionError,
  isPermanentFailure,
  isSessionLost,
  PathLostError,
  SignalingUnavailableError,
} from './errors';
import { closeWhenChannelClosed, hangUp } from './hang-up';
import { watchPath } from './path-watch';
import type { Dialed, PeerLink } from './peer-link';

export interface DeviceConnectionOptions {
  deviceId: string;
  link: PeerLink;
  /** How this phone is listed on the device. */
  clientName: string;
  /**
   * What each new connection proves before any request is sent (PROTOCOL.md §5): the stored
   * pairing key. Read once the device is dialled; throw (an AuthenticationError) to refuse.
   */
  credentials: () => ClientCredentials;
  onState: (state: ConnectionState) => void;
  backoff?: BackoffOptions;
  /** How often to refresh the RTT and the path kind while online, ms. Default 2000. */
  statsIntervalMs?: number;
  /** How long a request waits for an offline device to come back, ms. Default 10000. */
  requestWaitMs?: number;
  /** Per-request timeout passed to PeerFetch, ms. Default: PeerFetch's own. */
  requestTimeoutMs?: number;
  /** Whether the app is in the foreground; retries pause while it is not. Default: always. */
  isVisible?: () => boolean;
  /** Session tuning (ping and dead timeouts, ...). Default: {@link DEVICE_LIVENESS}. */
  sessionOptions?: ClientSessionSettings;
  /** ICE lost the session's path (the phone may have changed networks); called before redialing. */
  onPathLost?: () => void;
}

export interface DeviceConnection {
  readonly state: ConnectionState;
  /** fetch() to the device (paths only). Waits for the device to come online; retries an
   *  idempotent request once when the session dies under it. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
  /** The live RTCPeerConnection, when online (for diagnostics). */
  readonly peerConnection: RTCPeerConnection | undefined;
  /** Connect now: skips a pending backoff (network back, app in front). Not after a failure. */
  retryNow(): void;
  /** The user asked to try again: connects now, also after a failure. */
  reconnect(): void;
  /** The browser lost its network: stop dialing until `retryNow`. */
  markNetworkLost(): void;
  /**
   * The browser's network came back, maybe another one: the session must show within
   * PATH_PROBE_TIMEOUT_MS that its path still carries, or it ends and redials at once.
   */
  checkPath(): void;
  /**
   * The signaling server is out of reach: a waiting retry waits for it instead (its recovery
   * calls retryNow), and a live session must show within PATH_PROBE_TIMEOUT_MS that the
   * device still answers (whatever took the server away may have taken the device too).
   */
  signalingLost(): void;
  /** Closes the connection for good. */
  close(): void;
}

const NO_NETWORK = 'No network here. Reconnects when the network is back.';
const NO_SIGNALING = 'Waiting for the signaling server, which connects this app to the device.';

/**
 * The app's pings: after 2 s of quiet (±20 %), and the session is dead after 6 s without a
 * frame, so a device that hangs (its process stopped; the signaling server still lists it)
 * shows as offline within 6 s, and sooner than ICE's own notice (5–6 s plus path-watch's
 * 2 s grace, which would redial as if the phone had changed networks). A live path answers
 * a ping within a round trip, so 6 s is three unanswered pings even over a slow relay; a
 * download or upload in progress counts as an answer. The device keeps its own defaults.
 */
export const DEVICE_LIVENESS: ClientSessionSettings = { pingIntervalMs: 2_000, deadAfterMs: 6_000 };

/**
 * How long a session may take to answer after the phone's network changed, ms. A live path
 * answers within a round trip (or is already delivering); ICE would take 5 s or more to
 * notice a dead one, and the 2 s grace comes on top.
 */
export const PATH_PROBE_TIMEOUT_MS = 1_500;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * One device: dial, open a client session, keep it up. When the session dies it redials with
 * backoff; state changes go to `onState` for the UI.
 */
export function createDeviceConnection(options: DeviceConnectionOptions): DeviceConnection {
  const isVisible = options.isVisible ?? (() => true);
  let state: ConnectionState = { kind: 'idle' };
  let attempt = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let statsTimer: ReturnType<typeof setInterval> | undefined;
  let dialAbort: AbortController | undefined;
  let current:
    | { dialed: Dialed; session: Session; fetcher: PeerFetch; stopWatch: () => void }
    | undefined;
  let onlineWaiters: Array<() => void> = [];

  function setState(next: ConnectionState) {
    state = next;
    options.onState(next);
    if (next.kind === 'online' || next.kind === 'failed' || closed) {
      for (const wake of onlineWaiters) wake();
      onlineWaiters = [];
    }
  }

  async function connect() {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (closed || current || state.kind === 'connecting') return;
    attempt += 1;
    // A retry after the device failed to answer: it stays offline until it does.
    const unreachable = state.kind === 'retrying' ? state.reason : undefined;
    setState(
      unreachable ? { kind: 'connecting', attempt, unreachable } : { kind: 'connecting', attempt },
    );
    dialAbort = new AbortController();
    let dialed: Dialed | undefined;
    try {
      dialed = await options.link.dial(options.deviceId, dialAbort.signal);
      const session = openDialedSession(dialed, {
        deviceId: options.deviceId,
        clientName: options.clientName,
        credentials: options.credentials(),
        sessionOptions: { ...DEVICE_LIVENESS, ...options.sessionOptions },
      });
      await session.ready;
      if (closed) {
        void hangUp(session, dialed);
        return;
      }
      const fetcher = createPeerFetch(session, { timeoutMs: options.requestTimeoutMs });
      // A lost path ends the session now: its idempotent requests are sent again once redialled.
      const stopWatch = watchPath(dialed.peerConnection, (why) => {
        options.onPathLost?.();
        session.close(new PathLostError(why));
      });
      current = { dialed, session, fetcher, stopWatch };
      attempt = 0;
      setState({ kind: 'online', since: Date.now() });
      startStats();
      void session.closed.then((reason) => onSessionClosed(session, reason));
    } catch (error) {
      if (dialed) void closeWhenChannelClosed(dialed);
      if (!closed) onFailure(error instanceof Error ? error : new Error(String(error)));
    }
  }

  function onSessionClosed(session: Session, reason: Error | undefined) {
    if (current?.session !== session) return;
    current.stopWatch();
    stopStats();
    void closeWhenChannelClosed(current.dialed);
    current = undefined;
    if (closed) return;
    attempt = 0;
    // The device is likely still there, through the phone's new network: dial it now.
    if (reason instanceof PathLostError && isVisible()) void connect();
    else onFailure(reason ?? new Error('The device closed the connection.'));
  }

  function onFailure(error: Error) {
    const reason = describeConnectionError(error);
    if (isPermanentFailure(error)) {
      // Never redialled by itself: a device that failed to prove the key gets nothing more.
      const auth = authFailureOf(error);
      setState(auth ? { kind: 'failed', reason, auth } : { kind: 'failed', reason });
      return;
    }
    // Retry whatever navigator.onLine says: it can be false where the device is still
    // reachable (no route out of the LAN); the `offline` event sets its own message.
    const delay = backoffDelayMs(Math.max(0, attempt - 1), options.backoff);
    // Without the signaling server the one countdown is the server's; this timer stays as a
    // quiet fallback.
    if (error instanceof SignalingUnavailableError)
      setState({ kind: 'no-signaling', reason: NO_SIGNALING });
    else setState({ kind: 'retrying', attempt, retryAt: Date.now() + delay, reason });
    retryTimer = setTimeout(() => {
      // In the background, wait for the app to come to the front (visibility calls retryNow).
      if (isVisible()) void connect();
      else retryTimer = undefined;
    }, delay);
  }

  function startStats() {
    stopStats();
    const refresh = async () => {
      if (!current || state.kind !== 'online') return;
      let { path, rttMs } = state;
      try {
        const stats = readPathStats(await current.dialed.peerConnection.getStats());
        path = stats.path ?? path;
        // The session pings only when idle; ICE consent checks measure the path meanwhile.
        rttMs = current.session.rttMs ?? stats.rttMs ?? rttMs;
      } catch {
        // A closing peer connection cannot report stats; the next tick will know.
      }
      if (state.kind === 'online' && current) setState({ ...state, rttMs, path });
    };
    void refresh();
    statsTimer = setInterval(() => void refresh(), options.statsIntervalMs ?? 2000);
  }

  function stopStats() {
    clearInterval(statsTimer);
    statsTimer = undefined;
  }

  /** Ends the session (to redial at once) unless the device answers a ping in time. */
  function probeSession(why: string) {
    const live = current;
    if (!live) return;
    void live.session.probe(PATH_PROBE_TIMEOUT_MS).then((alive) => {
      if (!alive && current === live) live.session.close(new PathLostError(why));
    });
  }

  function waitOnline(ms: number): Promise<void> {
    if (state.kind === 'online') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        onlineWaiters = onlineWaiters.filter((w) => w !== done);
        resolve();
      }
      onlineWaiters.push(done);
    });
  }

  async function fetchOnce(input: string, init?: RequestInit): Promise<Response> {
    // After a failure only the user may try again (reconnect): no request reaches a device
    // that could not be verified.
    if (!current && state.kind === 'failed') throw new DeviceFailedError(state.reason);
    if (!current) {
      if (state.kind !== 'connecting') void connect();
      await waitOnline(options.requestWaitMs ?? 10_000);
    }
    if (!current) {
      // Said as the device's state says it: never "offline" while it shows "Connecting…".
      if (state.kind === 'connecting' && state.unreachable === undefined)
        throw new DeviceOfflineError('The device has not answered yet; still connecting.');
      const why =
        'reason' in state
          ? ` ${state.reason}`
          : state.kind === 'connecting'
            ? ` ${state.unreachable}`
            : '';
      throw new DeviceOfflineError(`The device is offline.${why}`);
    }
    return current.fetcher.fetch(input, init);
  }

  return {
    get state() {
      return state;
    },
    get peerConnection() {
      return current?.dialed.peerConnection;
    },
    async fetch(input, init) {
      try {
        return await fetchOnce(input, init);
      } catch (error) {
        const method = (init?.method ?? 'GET').toUpperCase();
        if (!isSessionLost(error) || !IDEMPOTENT.has(method) || init?.signal?.aborted || closed)
          throw error;
        return fetchOnce(input, init);
      }
    },
    retryNow() {
      if (closed || current || state.kind === 'connecting' || state.kind === 'failed') return;
      attempt = 0;
      void connect();
    },
    reconnect() {
      if (closed || current || state.kind === 'connecting') return;
      attempt = 0;
      void connect();
    },
    markNetworkLost() {
      if (closed || current) return;
      if (state.kind === 'connecting') dialAbort?.abort(new DeviceOfflineError(NO_NETWORK));
      // The pending retry stays as a fallback; `online` brings it forward.
      else if (state.kind === 'retrying' || state.kind === 'no-signaling')
        setState({ kind: 'offline', reason: NO_NETWORK });
    },
    checkPath() {
      probeSession('The network changed, and the old path to the device is gone.');
    },
    signalingLost() {
      if (closed) return;
      if (current) probeSession('The device stopped answering.');
      else if (state.kind === 'retrying') setState({ kind: 'no-signaling', reason: NO_SIGNALING });
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      stopStats();
      dialAbort?.abort(new Error('Closed.'));
      current?.stopWatch();
      if (current) void hangUp(current.session, current.dialed);
      current = undefined;
      setState({ kind: 'idle' });
    },
  };
}
