/** Reconnect delays: exponential, capped, with jitter so many phones do not retry in step. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 1000. */
  initialMs?: number;
  /** Longest delay, ms. Default 15000: a device that comes back is found within 15 s. */
  maxMs?: number;
  /** Fraction of the delay added or removed at random. Default 0.2. */
  jitter?: number;
}

/** Delay before retry number `attempt` (1 for the first retry). */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 15_000;
  const jitter = options.jitter ?? 0.2;
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const base = Math.min(max, initial * 2 ** exponent);
  const spread = base * jitter * (random() * 2 - 1);
  return Math.round(Math.min(max, Math.max(initial / 2, base + spread)));
}
