/**
 * Reconnect delays: exponential with jitter, so a signaling restart does not see every
 * edge come back in the same millisecond.
 */
export interface BackoffOptions {
  /** First delay in ms. Default 500. */
  initialMs?: number;
  /** Largest delay in ms; kept small so a restarted server is found within seconds. Default 5000. */
  maxMs?: number;
  /** Source of randomness in [0, 1); default Math.random. */
  random?: () => number;
}

/** Delay before attempt number `attempt` (0-based): between half and all of the capped exponential. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 5000;
  const random = options.random ?? Math.random;
  const capped = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(capped * (0.5 + random() * 0.5));
}
