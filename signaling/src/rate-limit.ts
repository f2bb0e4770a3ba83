/**
 * Per-client-address rate limits: express-rate-limit for HTTP routes, and its MemoryStore for
 * WebSocket upgrades (which never pass through express middleware). IPv6 clients are counted
 * per /56 (express-rate-limit's default), so one host cannot dodge the limit by rotating
 * addresses inside its prefix.
 */

import type { RequestHandler } from 'express';
import {
  ipKeyGenerator,
  MemoryStore,
  type Options,
  rateLimit,
  type Store,
} from 'express-rate-limit';
import type { RejectionReason, SignalingMetrics } from './metrics.js';
import { sendProblem } from './problem.js';

export interface RateLimitOptions {
  windowMs: number;
  /** Requests (or connections) allowed per window per client address. */
  limit: number;
  /** Where the counts live; default this process's memory. */
  store?: Store | undefined;
}

/** A store for the limit named `name` (rooms, ice, ws), such as one shared through Redis. */
export type RateLimitStoreFactory = (name: string) => Store;

export function httpRateLimit(
  options: RateLimitOptions,
  metrics: SignalingMetrics,
  what: string,
): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    ...(options.store ? { store: options.store } : {}),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Our own startup check warns about permissive TRUST_PROXY; forged X-Forwarded-For headers
    // are expected traffic here and are simply not believed, so these checks would only spam stderr.
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (_req, res, _next, used) => {
      metrics.rejections.inc({ reason: 'rate_limited' satisfies RejectionReason });
      const retryAfter = Math.ceil(used.windowMs / 1000);
      res.setHeader('Retry-After', String(retryAfter));
      sendProblem(res, 429, `too many ${what} requests from this address; retry later`, {
        retryAfter,
      });
    },
  });
}

export interface ConnectionRateLimiter {
  /** Counts one connection from `address`; false when it is over the limit. */
  allow(address: string): Promise<boolean>;
  /** Seconds until the window resets (for Retry-After). */
  readonly retryAfterSeconds: number;
  shutdown(): void;
}

export function connectionRateLimiter(options: RateLimitOptions): ConnectionRateLimiter {
  const store = options.store ?? new MemoryStore();
  // The stores read only windowMs from the middleware's options.
  store.init?.({ windowMs: options.windowMs } as Options);
  return {
    async allow(address) {
      const { totalHits } = await store.increment(ipKeyGenerator(address));
      return totalHits <= options.limit;
    },
    retryAfterSeconds: Math.ceil(options.windowMs / 1000),
    shutdown: () => {
      store.shutdown?.();
    },
  };
}
