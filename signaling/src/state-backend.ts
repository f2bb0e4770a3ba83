/**
 * Where a server keeps who is connected, reservations, rooms and limits: this process's
 * memory (memory-state.ts, the default) or Redis shared by several instances
 * (cluster/cluster-state.ts, with REDIS_URL). server.ts wires either to PeerServer and the app.
 */

import type { Store } from 'express-rate-limit';
import type { IClient } from 'peer';
import type { HealthReport } from './app.js';
import type { ConnectionGate } from './gated-wss.js';
import type { RateLimitStoreFactory } from './rate-limit.js';
import type { PeerVerifier, RoomStore } from './shared-state.js';

export interface StateBackend {
  /** Decides on each PeerJS socket before PeerServer sees it. */
  gate: ConnectionGate;
  /** PeerServer accepted `client`. */
  connected(client: IClient): void;
  /** PeerServer dropped `client` (its room membership ends when it held the id). */
  disconnected(client: IClient): void;
  verifier: PeerVerifier;
  rooms: RoomStore;
  /** Reservations held (everywhere, with Redis). */
  reservationCount(): number | Promise<number>;
  /** What `/healthz` reports while the server runs. */
  health(): Promise<HealthReport>;
  /** Stores for the HTTP rate limits; undefined = memory. */
  rateLimitStore: RateLimitStoreFactory | undefined;
  /** Store for the WebSocket connection rate; undefined = memory. */
  connectionStore: Store | undefined;
  /** 1/0 for `peerfetch_signaling_redis_up`; undefined without Redis. */
  redisUp: (() => boolean) | undefined;
  start(): Promise<void>;
  close(): Promise<void>;
}
