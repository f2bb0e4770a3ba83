/**
 * Per-client-address counting for the caps that are not rates: things an address holds open
 * (PeerJS sockets) and things it may create per hour (new peer id reservations). Addresses
 * are keyed like the rate limits: IPv4 one by one, IPv6 per /56, so one host cannot dodge a
 * cap by rotating addresses inside its prefix.
 */
import { ipKeyGenerator } from 'express-rate-limit';

/** The window of NEW_IDS_PER_ADDRESS: an hour. */
export const NEW_IDS_WINDOW_MS = 60 * 60 * 1000;

/** The key an address is counted under. */
export function addressKey(address: string): string {
  return ipKeyGenerator(address);
}

export interface OpenCounter {
  /** Counts one more for `key`; false (and nothing counted) when it is at the limit. */
  acquire(key: string): boolean;
  /** Gives back one counted by {@link acquire}. */
  release(key: string): void;
  count(key: string): number;
}

export function createOpenCounter(limit: number): OpenCounter {
  const counts = new Map<string, number>();
  return {
    acquire(key) {
      const held = counts.get(key) ?? 0;
      if (held >= limit) return false;
      counts.set(key, held + 1);
      return true;
    },
    release(key) {
      const held = counts.get(key) ?? 0;
      if (held <= 1) counts.delete(key);
      else counts.set(key, held - 1);
    },
    count: (key) => counts.get(key) ?? 0,
  };
}

export interface WindowQuota {
  /** True while `key` has used less than its quota in the current window. */
  hasRoom(key: string): boolean;
  /** Uses one of `key`'s quota. */
  take(key: string): void;
}

/**
 * A fixed window shared by every key: all counts reset together when it ends, which keeps
 * memory bounded by the addresses seen in one window without a timer.
 */
export function createWindowQuota(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
}): WindowQuota {
  const now = options.now ?? Date.now;
  let counts = new Map<string, number>();
  let windowEndsAt = 0;
  const current = () => {
    const time = now();
    if (time >= windowEndsAt) {
      counts = new Map();
      windowEndsAt = time + options.windowMs;
    }
    return counts;
  };
  return {
    hasRoom: (key) => (current().get(key) ?? 0) < options.limit,
    take(key) {
      const window = current();
      window.set(key, (window.get(key) ?? 0) + 1);
    },
  };
}
