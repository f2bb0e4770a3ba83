/**
 * Reconnect delays: exponential, capped, and jittered, so that after a server restart the
 * phones and edges that lost it do not all come back in the same millisecond.
 *
 * Kept by hand: retry libraries (p-retry, exponential-backoff) wrap a promise-returning
 * function, but these reconnects are scheduled from events (a socket's close, ICE failing).
 */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 1000. */
  initialMs?: number;
  /** Longest delay, ms. Default 15000: a server that comes back is found within 15 s. */
  maxMs?: number;
  /** Up to this fraction of each delay is taken off at random, from 0 to 1. Default 0.2. */
  jitter?: number;
  /** Source of randomness in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Delay before retry number `retry` (0 for the first): `initialMs` doubled per retry up to
 * `maxMs`, less a random part of at most `jitter` of it (so never more than `maxMs`).
 */
export function backoffDelayMs(retry: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 15_000;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const random = options.random ?? Math.random;
  // The exponent stops at 30: by then any cap is reached, and 2 ** n stays finite.
  const base = Math.min(max, initial * 2 ** Math.min(Math.max(0, retry), 30));
  return Math.round(base * (1 - jitter * random()));
}
