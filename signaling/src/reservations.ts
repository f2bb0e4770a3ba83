/**
 * Peer id reservations: an id belongs to the token that first registered it, while it is
 * connected and for a while after it was last seen, so a crash of its owner does not hand the
 * id to whoever asks next. Stock PeerServer frees an id the moment its socket closes.
 *
 * In memory only: a restarted server starts with none, and the first registration after the
 * restart reserves each id again. Bounded: at most `maxReservations`, evicting the
 * reservation unseen for longest (never one whose id is connected).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a registration of `id` with `token` would meet. */
export type ReservationCheck = 'owner' | 'free' | 'taken';

/** What recording a connection did: reserved a new id, renewed the owner's, or refused. */
export type ConnectOutcome = 'created' | 'renewed' | 'conflict';

export interface ReservationBook {
  check(id: string, token: string): ReservationCheck;
  /** `id` is connected with `token`: reserves it when free, marks the owner's as live. */
  connected(id: string, token: string): ConnectOutcome;
  /** The holder of `id` went away: its reservation now ages from this moment. */
  disconnected(id: string): void;
  /** Reservations held, connected ones included. */
  readonly size: number;
}

export interface ReservationBookOptions {
  /** How long a reservation outlives the last time its id was seen connected, in ms. */
  ttlMs: number;
  /** Most reservations held; beyond it the one unseen for longest goes. */
  maxReservations: number;
  now?: () => number;
  /** Told each time a reservation is dropped to make room. */
  onEvicted?: () => void;
  /** Told each time a reservation outlived its TTL. */
  onExpired?: () => void;
}

interface IdleReservation {
  digest: Buffer;
  lastSeen: number;
}

/** Tokens are kept as SHA-256 digests: fixed size, and never the secret itself. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function createReservationBook(options: ReservationBookOptions): ReservationBook {
  const now = options.now ?? Date.now;
  const live = new Map<string, Buffer>();
  // Insertion order is the order of last sight, so the oldest-unseen come first.
  const idle = new Map<string, IdleReservation>();

  function expireIdle(): void {
    const cutoff = now() - options.ttlMs;
    for (const [id, reservation] of idle) {
      if (reservation.lastSeen > cutoff) return;
      idle.delete(id);
      options.onExpired?.();
    }
  }

  function digestFor(id: string): Buffer | undefined {
    expireIdle();
    return live.get(id) ?? idle.get(id)?.digest;
  }

  return {
    check(id, token) {
      const digest = digestFor(id);
      if (digest === undefined) return 'free';
      return timingSafeEqual(digest, tokenDigest(token)) ? 'owner' : 'taken';
    },
    connected(id, token) {
      const held = digestFor(id);
      const digest = tokenDigest(token);
      if (held !== undefined) {
        if (!timingSafeEqual(held, digest)) return 'conflict';
        idle.delete(id);
        live.set(id, held);
        return 'renewed';
      }
      // Connected ids are bounded by PeerServer's concurrent limit, so only idle ones go.
      while (live.size + idle.size >= options.maxReservations) {
        const oldest = idle.keys().next();
        if (oldest.done) break;
        idle.delete(oldest.value);
        options.onEvicted?.();
      }
      live.set(id, digest);
      return 'created';
    },
    disconnected(id) {
      const digest = live.get(id);
      if (digest === undefined) return;
      live.delete(id);
      idle.set(id, { digest, lastSeen: now() });
      expireIdle();
    },
    get size() {
      return live.size + idle.size;
    },
  };
}
