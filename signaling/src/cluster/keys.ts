/**
 * Where the shared state lives in Redis. Every key starts with `pf:`; give PeerFetch a Redis
 * database of its own (`redis://host:6379/3`), as its keys expire and are swept on their own
 * schedule. The Lua scripts (lua.ts) spell the same names.
 */

/** The channel an instance receives relayed PeerJS messages and control notes on. */
export const relayChannel = (instanceId: string) => `pf:relay:${instanceId}`;

/** Set of every instance that has registered peers and not been reaped. */
export const INSTANCES_KEY = 'pf:instances';

/** Exists while the instance is alive (refreshed by its heartbeat, expires after a crash). */
export const aliveKey = (instanceId: string) => `pf:alive:${instanceId}`;

/** Reservations held: live ids (a set) and idle ids by last sight (a sorted set). */
export const LIVE_RESERVATIONS_KEY = 'pf:resv:live';
export const IDLE_RESERVATIONS_KEY = 'pf:resv:idle';

/** Set of room ids with at least one member. */
export const ROOMS_KEY = 'pf:rooms';

/** Prefix of the HTTP and WebSocket rate-limit counters (rate-limit-redis). */
export const RATE_LIMIT_PREFIX = 'pf:rl:';
