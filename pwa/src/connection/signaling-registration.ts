import {
  type BackoffOptions,
  backoffDelayMs,
  type IceRefresh,
  keepIceServersFresh,
  type PeerServerOptions,
  peerServerOptions,
  type RoomMember,
  type RoomsApi,
} from '@peerfetch/shared';
import type { Peer, PeerError, PeerOptions } from 'peerjs';
import { SignalingUnavailableError } from './errors';

/** The app's registration with the signaling server, as the UI shows it. */
export type SignalingState =
  | { kind: 'connecting' }
  | { kind: 'ready'; peerId: string; iceServerCount: number }
  | { kind: 'retrying'; attempt: number; retryAt: number; reason: string }
  | { kind: 'failed'; reason: string };

export type PeerFactory = (id: string, options: PeerOptions) => Peer;

export interface SignalingRegistrationOptions {
  /** Signaling base URL (already parsed). */
  url: URL;
  /** PeerJS server key. */
  key: string;
  /** Offer and accept relay candidates only (iceTransportPolicy `relay`). */
  relayOnly?: boolean;
  /** Our name in the local room. */
  name: string;
  /**
   * Our peer id and the token that holds it. Stable across runs: paired devices know this
   * phone by its id. The same token lets a reload take the id over from its own stale socket.
   */
  identity: { id: string; token: string };
  rooms: RoomsApi;
  createPeer: PeerFactory;
  onState: (state: SignalingState) => void;
  backoff?: BackoffOptions;
}

export interface SignalingRegistration {
  readonly state: SignalingState;
  /** Resolves with the registered peer (waiting for it if needed). */
  waitForPeer(signal?: AbortSignal): Promise<Peer>;
  /** The edges in our local room (the devices on this network), joining the room first. */
  listNearbyEdges(signal?: AbortSignal): Promise<RoomMember[]>;
  /** Retry now instead of waiting out the backoff (network back, app in front). */
  retryNow(): void;
  /**
   * The phone changed networks: register again over a fresh socket, keeping the id and the
   * open peer connections. A socket of the old network is dead and does not know it (no
   * packet of it is ever answered, so nothing closes it for minutes), and dials through it
   * would never reach the device.
   */
  renew(): void;
  /** Leaves the signaling server and stops retrying. */
  stop(): void;
}

/** PeerJS errors that retrying with the same settings cannot fix. */
const FATAL_PEER_ERRORS: Record<string, string> = {
  'browser-incompatible': 'This browser cannot make peer-to-peer connections (no WebRTC).',
  'invalid-key': 'The signaling server refused the server key. Check the key in Settings.',
  'ssl-unavailable': 'The signaling server needs a secure (https) address.',
};

/**
 * A socket renew() opens may fail at once: the phone's new network can be up (the browser
 * says `online`) a moment before its route is. Such a failure is retried this soon, this
 * many times, still "connecting", before it shows as a lost server.
 */
const RENEW_RETRY_MS = 250;
const RENEW_QUIET_RETRIES = 4;

/** A fresh identity for a new installation: a PeerJS id and the token that holds it. */
export function newIdentity(): { id: string; token: string } {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const token = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return { id: `app-${crypto.randomUUID()}`, token };
}

/**
 * Keeps the app registered with the signaling server under its peer id: reconnects with
 * backoff when the socket drops, fetches the ICE servers from `/ice` once registered, and
 * again before their TURN credentials expire (an app left open for days still relays).
 */
export function createSignalingRegistration(
  options: SignalingRegistrationOptions,
): SignalingRegistration {
  const server: PeerServerOptions = peerServerOptions(options.url);
  const { id: peerId, token } = options.identity;
  let state: SignalingState = { kind: 'connecting' };
  let peer: Peer | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let joined = false;
  /** Set while renew() drops the socket on purpose: not a loss to retry with backoff. */
  let renewing = false;
  /** Failures left to retry quietly since renew() (see RENEW_QUIET_RETRIES). */
  let quietRetries = 0;
  let iceRefresh: IceRefresh | undefined;
  let waiters: Array<{ resolve: (peer: Peer) => void; reject: (error: Error) => void }> = [];

  function setState(next: SignalingState) {
    state = next;
    options.onState(next);
    if (next.kind === 'ready' && peer) {
      for (const waiter of waiters) waiter.resolve(peer);
      waiters = [];
    } else if (next.kind === 'failed' || next.kind === 'retrying') {
      // Waiting dials fail now with the reason; signaling's recovery wakes them again.
      for (const waiter of waiters) waiter.reject(new SignalingUnavailableError(next.reason));
      waiters = [];
    }
  }

  function start() {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (stopped) return;
    setState({ kind: 'connecting' });
    if (peer && !peer.destroyed && peer.disconnected) {
      peer.reconnect();
      return;
    }
    peer?.destroy();
    joined = false;
    const created = options.createPeer(peerId, {
      ...server,
      key: options.key,
      token,
      debug: 0,
      // Never PeerJS's public defaults: ICE servers come from our own /ice once registered.
      config: { iceServers: [], iceTransportPolicy: options.relayOnly ? 'relay' : 'all' },
    });
    peer = created;
    created.on('open', () => void onOpen(created));
    created.on('disconnected', () => {
      if (peer === created && !renewing)
        scheduleRetry(`Lost the connection to ${options.url.host}.`);
    });
    created.on('close', () => {
      if (peer === created) scheduleRetry(`Lost the connection to ${options.url.host}.`);
    });
    created.on('error', (error: PeerError<string>) => {
      if (peer !== created) return;
      const fatal = FATAL_PEER_ERRORS[error.type];
      if (fatal) {
        setState({ kind: 'failed', reason: fatal });
        created.destroy();
      } else if (error.type === 'unavailable-id') {
        // Someone holds our id under another token (this app in another tab or browser
        // profile, or an impostor). A new id would unpair every device: wait and retry.
        scheduleRetry(
          "This app's identity is in use elsewhere (is PeerFetch open in another tab?). Close the other one; retrying.",
        );
        created.destroy();
      } else if (
        ['network', 'server-error', 'socket-error', 'socket-closed'].includes(error.type)
      ) {
        scheduleRetry(
          `No answer from ${options.url.host}. Check your connection, or the server address in Settings.`,
        );
      }
    });
  }

  async function onOpen(opened: Peer) {
    if (peer !== opened) return;
    iceRefresh?.stop();
    // Without ICE servers ([] when /ice fails), devices on the same network still connect.
    iceRefresh = keepIceServersFresh({
      fetch: () => options.rooms.iceServers({ id: peerId, token }),
      apply: (iceServers) => {
        if (peer === opened) opened.options.config = { ...opened.options.config, iceServers };
      },
    });
    const iceServers = await iceRefresh.ready;
    if (peer !== opened || opened.disconnected) return;
    attempt = 0;
    quietRetries = 0;
    setState({ kind: 'ready', peerId, iceServerCount: iceServers.length });
  }

  function scheduleRetry(reason: string) {
    if (stopped || state.kind === 'failed') return;
    if (state.kind === 'retrying' && retryTimer !== undefined) return;
    if (state.kind === 'connecting' && quietRetries > 0) {
      // One failure may be reported twice (an error, then `disconnected`): one retry.
      if (retryTimer === undefined) {
        quietRetries -= 1;
        retryTimer = setTimeout(start, RENEW_RETRY_MS);
      }
      return;
    }
    attempt += 1;
    const delay = backoffDelayMs(attempt - 1, options.backoff);
    retryTimer = setTimeout(start, delay);
    setState({ kind: 'retrying', attempt, retryAt: Date.now() + delay, reason });
  }

  start();

  return {
    get state() {
      return state;
    },
    waitForPeer(signal) {
      if (state.kind === 'ready' && peer) return Promise.resolve(peer);
      if (state.kind === 'failed')
        return Promise.reject(new SignalingUnavailableError(state.reason));
      return new Promise<Peer>((resolve, reject) => {
        const waiter = { resolve, reject };
        waiters.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            waiters = waiters.filter((w) => w !== waiter);
            reject(signal.reason instanceof Error ? signal.reason : new Error('Cancelled.'));
          },
          { once: true },
        );
      });
    },
    async listNearbyEdges(signal) {
      await this.waitForPeer(signal);
      const credentials = { id: peerId, token };
      const listing = joined
        ? await options.rooms.members(credentials, signal)
        : await options.rooms.join({ ...credentials, role: 'app', name: options.name }, signal);
      joined = true;
      return listing.members.filter((member) => member.role === 'edge');
    },
    retryNow() {
      if (stopped || state.kind === 'ready' || state.kind === 'connecting') return;
      attempt = 0;
      start();
    },
    renew() {
      if (stopped || state.kind === 'failed') return;
      // While retrying there is no socket to drop: this is then a retry without the wait.
      if (state.kind !== 'retrying' && peer && !peer.destroyed && !peer.disconnected) {
        // PeerJS keeps the peer's connections open across disconnect() and reconnect().
        renewing = true;
        peer.disconnect();
        renewing = false;
      }
      attempt = 0;
      quietRetries = RENEW_QUIET_RETRIES;
      start();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      iceRefresh?.stop();
      peer?.destroy();
      peer = undefined;
      for (const waiter of waiters) waiter.reject(new SignalingUnavailableError('Stopped.'));
      waiters = [];
    },
  };
}
