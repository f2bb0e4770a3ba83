/**
 * Paces pairing attempts per client id, as a token bucket: a client may make
 * {@link CLIENT_ATTEMPT_BURST} attempts at once (a person who mistyped the code retries at
 * once), then one per {@link CLIENT_ATTEMPT_INTERVAL_MS}. A script under one id cannot spend
 * a window's attempts in a second; the window's own limit bounds what many ids do together.
 */

/** Attempts one client id may make back to back. */
export const CLIENT_ATTEMPT_BURST = 2;

/** After the burst, one more attempt per this many milliseconds. */
export const CLIENT_ATTEMPT_INTERVAL_MS = 10_000;

export interface ClientPacer {
  /** Milliseconds before `clientId` may attempt again; 0 when it may now. */
  waitFor(clientId: string): number;
  /** `clientId` just made an attempt that counted. */
  note(clientId: string): void;
}

export function createClientPacer(
  intervalMs = CLIENT_ATTEMPT_INTERVAL_MS,
  burst = CLIENT_ATTEMPT_BURST,
): ClientPacer {
  /** Attempts each client may make now, as of `at`; a full bucket is not kept. */
  const buckets = new Map<string, { tokens: number; at: number }>();
  const tokensOf = (clientId: string, now: number): number => {
    const bucket = buckets.get(clientId);
    if (!bucket) return burst;
    return Math.min(burst, bucket.tokens + (now - bucket.at) / intervalMs);
  };
  const forgetFull = (now: number) => {
    for (const id of buckets.keys()) if (tokensOf(id, now) >= burst) buckets.delete(id);
  };
  return {
    waitFor(clientId) {
      const now = Date.now();
      forgetFull(now);
      const tokens = tokensOf(clientId, now);
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * intervalMs);
    },
    note(clientId) {
      const now = Date.now();
      forgetFull(now);
      buckets.set(clientId, { tokens: tokensOf(clientId, now) - 1, at: now });
    },
  };
}
