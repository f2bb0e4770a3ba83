/**
 * The default state backend: everything in this process's memory, for one instance.
 */

import type { Logger } from 'pino';
import { createOpenCounter, createWindowQuota, NEW_IDS_WINDOW_MS } from './address-limits.js';
import { createAdmission } from './admission.js';
import type { AddressOf } from './client-address.js';
import type { SignalingConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import type { PeerDirectory } from './peers.js';
import { createReservationBook } from './reservations.js';
import { createRoomRegistry } from './rooms.js';
import { memoryPeerVerifier, memoryRoomStore } from './shared-state.js';
import type { StateBackend } from './state-backend.js';

export interface BackendDeps {
  config: SignalingConfig;
  peers: PeerDirectory;
  /** Created before the backend, which counts into it; its gauges read the backend back. */
  metrics: SignalingMetrics;
  addressOf: AddressOf;
  /** Child logger for peer events. */
  logger: Logger;
  now: () => number;
}

export function createMemoryState(deps: BackendDeps): StateBackend {
  const { config, peers, metrics, now } = deps;
  const registry = createRoomRegistry({
    maxRoomSize: config.maxRoomSize,
    maxMembersPerAddress: config.maxMembersPerAddress,
    now,
  });
  const reservations = createReservationBook({
    ttlMs: config.reservationTtlMs,
    maxReservations: config.maxReservations,
    now,
    onEvicted: () => metrics.reservationsEvicted.inc(),
    onExpired: () => metrics.reservationsExpired.inc(),
  });
  const admission = createAdmission({
    peerKey: config.peerKey,
    addressOf: deps.addressOf,
    reservations,
    newIds: createWindowQuota({ limit: config.newIdsPerAddress, windowMs: NEW_IDS_WINDOW_MS, now }),
    sockets: createOpenCounter(config.maxSocketsPerAddress),
    peers,
    metrics,
    messageBudget: config.messageBudget,
    logger: deps.logger,
    now,
  });
  return {
    gate: (socket, req) => admission.admit(socket, req),
    connected: (client) => admission.connected(client),
    disconnected(client) {
      if (admission.disconnected(client)) registry.leave(client.getId());
    },
    verifier: memoryPeerVerifier(peers),
    rooms: memoryRoomStore(registry),
    reservationCount: () => reservations.size,
    health: async () => ({
      ok: true,
      body: { status: 'ok', peers: peers.size, rooms: registry.roomCount },
    }),
    rateLimitStore: undefined,
    connectionStore: undefined,
    redisUp: undefined,
    start: async () => {},
    close: async () => {},
  };
}
