/**
 * Decides which signaling messages PeerJS may act on. Every OFFER makes an
 * RTCPeerConnection (about 32 file descriptors and 2 native threads until it closes), and
 * PeerJS keeps CANDIDATEs for unknown connections forever, so a stranger in the room could
 * exhaust the edge's memory and descriptors with canned messages. The guard validates each
 * message (signaling-messages.ts), caps connections that have not authenticated yet (per
 * remote id, and a shared pool for ids that are not paired, so strangers never take a paired
 * client's place), rate-limits strangers' offers, and counts and logs what it drops.
 */
import type { Logger } from '../logger.js';
import {
  classifySignalingMessage,
  type DropReason,
  type RelayedMessage,
  type ServerMessage,
} from './signaling-messages.js';

export interface AdmissionLimits {
  /** Unauthenticated connections from ids that are not paired, all together. Default 8. */
  strangerPending: number;
  /** Unauthenticated connections from one id that is not paired. Default 2. */
  strangerPendingPerPeer: number;
  /** Unauthenticated connections from one paired id (a phone reconnecting). Default 4. */
  pairedPendingPerPeer: number;
  /** CANDIDATEs accepted for one connection; a real client sends a handful. Default 32. */
  candidatesPerConnection: number;
  /** New connections per second from ids that are not paired, all together. Default 10. */
  strangerOffersPerSecond: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  strangerPending: 8,
  strangerPendingPerPeer: 2,
  pairedPendingPerPeer: 4,
  candidatesPerConnection: 32,
  strangerOffersPerSecond: 10,
};

/** At most one warning per this interval; the rest are counted into the next one. */
const DROP_LOG_INTERVAL_MS = 10_000;

export interface SignalingGuardOptions {
  /** True when `peerId` is a paired client (its id is reserved for it at the server). */
  isPaired(peerId: string): boolean;
  logger: Logger;
  limits?: Partial<AdmissionLimits>;
  now?: () => number;
}

export interface SignalingGuard {
  /** The message PeerJS may act on, or undefined when it was dropped (counted, logged). */
  admit(message: unknown): ServerMessage | RelayedMessage | undefined;
  /** The connection proved its pairing: it no longer holds an unauthenticated slot. */
  authenticated(peerId: string, connectionId: string): void;
  /** PeerJS let go of the connection (closed, failed or left). */
  released(peerId: string, connectionId: string): void;
  /** Messages dropped since start, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Connections admitted and not yet authenticated. */
  readonly pending: number;
}

interface Admitted {
  peerId: string;
  paired: boolean;
  authenticated: boolean;
  candidates: number;
}

const keyOf = (peerId: string, connectionId: string) => `${peerId}\n${connectionId}`;

export function createSignalingGuard(options: SignalingGuardOptions): SignalingGuard {
  const limits = { ...DEFAULT_ADMISSION_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const admitted = new Map<string, Admitted>();
  const dropped: Partial<Record<DropReason, number>> = {};
  let offerTokens = limits.strangerOffersPerSecond;
  let tokensAt = now();
  let lastLogAt = Number.NEGATIVE_INFINITY;
  let unlogged = 0;

  function drop(reason: DropReason, src: unknown): undefined {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    const at = now();
    if (at - lastLogAt < DROP_LOG_INTERVAL_MS) {
      unlogged++;
      return undefined;
    }
    options.logger.warn(
      {
        reason,
        src: typeof src === 'string' ? src.slice(0, 64) : undefined,
        alsoDropped: unlogged,
      },
      'dropped a signaling message',
    );
    lastLogAt = at;
    unlogged = 0;
    return undefined;
  }

  function pendingOf(predicate: (entry: Admitted) => boolean): number {
    let count = 0;
    for (const entry of admitted.values()) if (!entry.authenticated && predicate(entry)) count++;
    return count;
  }

  function takeOfferToken(): boolean {
    const at = now();
    const rate = limits.strangerOffersPerSecond;
    offerTokens = Math.min(rate, offerTokens + ((at - tokensAt) / 1000) * rate);
    tokensAt = at;
    if (offerTokens < 1) return false;
    offerTokens--;
    return true;
  }

  function admitOffer(message: Extract<RelayedMessage, { type: 'OFFER' }>) {
    const { src } = message;
    const key = keyOf(src, message.payload.connectionId);
    // PeerJS would close the live connection and build another under the same id.
    if (admitted.has(key)) return drop('offer-duplicate', src);
    const paired = options.isPaired(src);
    const ownPending = pendingOf((entry) => entry.peerId === src);
    if (paired) {
      if (ownPending >= limits.pairedPendingPerPeer) return drop('pending-limit', src);
    } else {
      if (ownPending >= limits.strangerPendingPerPeer) return drop('pending-limit', src);
      if (pendingOf((entry) => !entry.paired) >= limits.strangerPending)
        return drop('pending-limit', src);
      if (!takeOfferToken()) return drop('offer-rate', src);
    }
    admitted.set(key, { peerId: src, paired, authenticated: false, candidates: 0 });
    return message;
  }

  function admitCandidate(message: Extract<RelayedMessage, { type: 'CANDIDATE' }>) {
    const entry = admitted.get(keyOf(message.src, message.payload.connectionId));
    if (!entry) return drop('candidate-unknown-connection', message.src);
    if (++entry.candidates > limits.candidatesPerConnection)
      return drop('candidate-flood', message.src);
    return message;
  }

  return {
    admit(message) {
      const classified = classifySignalingMessage(message);
      if (classified.kind === 'drop')
        return drop(classified.reason, (message as { src?: unknown } | null)?.src);
      if (classified.kind === 'server') return classified.message;
      const relayed = classified.message;
      if (relayed.type === 'OFFER') return admitOffer(relayed);
      if (relayed.type === 'CANDIDATE') return admitCandidate(relayed);
      return relayed;
    },
    authenticated(peerId, connectionId) {
      const entry = admitted.get(keyOf(peerId, connectionId));
      if (entry) entry.authenticated = true;
    },
    released(peerId, connectionId) {
      admitted.delete(keyOf(peerId, connectionId));
    },
    get dropped() {
      return dropped;
    },
    get pending() {
      return pendingOf(() => true);
    },
  };
}
