/**
 * The signaling server: HTTP server, express app, and PeerJS server sharing one port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExpressPeerServer } from 'peer';
import type { Logger } from 'pino';
import { corsOptions, createApp } from './app.js';
import { clientAddressResolver } from './client-address.js';
import { createClusterState } from './cluster/cluster-state.js';
import type { SignalingConfig } from './config.js';
import { GatedWebSocketServer } from './gated-wss.js';
import { createMemoryState } from './memory-state.js';
import { createMetrics, type SignalingMetrics } from './metrics.js';
import { createPeerDirectory } from './peers.js';
import { connectionRateLimiter } from './rate-limit.js';
import type { StateBackend } from './state-backend.js';

/** Largest signaling message: an SDP offer with many candidates is a few KiB. */
const MAX_WS_PAYLOAD_BYTES = 64 * 1024;

/** How long close() lets open HTTP requests finish before cutting them. */
const CLOSE_GRACE_MS = 3000;

export interface SignalingServer {
  /** Starts listening on config.port/host; resolves with the bound port (useful with port 0). */
  listen(): Promise<{ port: number; host: string }>;
  /** Stops accepting, closes every WebSocket (1001) and HTTP connection; resolves when done. */
  close(): Promise<void>;
  readonly metrics: SignalingMetrics;
}

export interface SignalingServerOptions {
  /** Clock for TURN expiry and join times; default `Date.now`. */
  now?: () => number;
}

export function createSignalingServer(
  config: SignalingConfig,
  logger: Logger,
  options: SignalingServerOptions = {},
): SignalingServer {
  const now = options.now ?? Date.now;
  const log = logger.child({ module: 'server' });
  const peerLog = logger.child({ module: 'peers' });
  const peers = createPeerDirectory();
  const metrics = createMetrics({
    peers: () => peers.size,
    rooms: () => backend.rooms.roomCount(),
    reservations: () => backend.reservationCount(),
    redisUp: config.redisUrl ? () => backend.redisUp?.() ?? false : undefined,
  });
  const addressOf = clientAddressResolver(config.trustProxy);
  const backendDeps = { config, peers, metrics, addressOf, logger: peerLog, now };
  const backend: StateBackend = config.redisUrl
    ? createClusterState({ ...backendDeps, redisUrl: config.redisUrl })
    : createMemoryState(backendDeps);
  const wsLimiter = connectionRateLimiter({
    windowMs: config.rateLimitWindowMs,
    limit: config.wsRateLimit,
    store: backend.connectionStore,
  });
  let running = true;
  let wss: GatedWebSocketServer | undefined;

  const httpServer = createServer();
  const peerServer = ExpressPeerServer(httpServer, {
    key: config.peerKey,
    path: '/',
    alive_timeout: config.aliveTimeoutMs,
    concurrent_limit: config.concurrentLimit,
    allow_discovery: false,
    corsOptions: corsOptions(config.corsOrigins),
    createWebSocketServer: (wsOptions) => {
      wss = new GatedWebSocketServer(
        {
          ...wsOptions,
          maxPayload: MAX_WS_PAYLOAD_BYTES,
          verifyClient: (info, done) => {
            wsLimiter.allow(addressOf(info.req)).then(
              (allowed) => {
                if (allowed) return done(true);
                metrics.rejections.inc({ reason: 'ws_rate_limited' });
                done(false, 429, 'Too Many Requests', {
                  'Retry-After': String(wsLimiter.retryAfterSeconds),
                });
              },
              // Only the shared store can fail here (Redis unreachable): let the socket through,
              // so admission, which needs Redis too, refuses it with a message clients show.
              () => done(true),
            );
          },
        },
        backend.gate,
      );
      return wss;
    },
  });
  peerServer.on('connection', (client) => {
    backend.connected(client);
    peerLog.debug({ peer: client.getId() }, 'peer connected');
  });
  peerServer.on('disconnect', (client) => {
    backend.disconnected(client);
    peerLog.debug({ peer: client.getId() }, 'peer disconnected');
  });
  // With Redis, relayed messages never reach PeerServer: the relay counts those offers.
  peerServer.on('message', (_client, message) => {
    if (message.type === 'OFFER') metrics.offersRelayed.inc();
  });
  // PeerServer reports here only what a client sent: a socket error (a message over the
  // size limit, a broken frame) or a message that is not a JSON object. Anyone can cause
  // these at will, so they are counted, not warned about.
  peerServer.on('error', (error) => {
    metrics.rejections.inc({ reason: 'bad_message' });
    peerLog.debug({ err: error }, 'peer socket sent something unusable');
  });

  const app = createApp({
    config,
    logger,
    peers: backend.verifier,
    rooms: backend.rooms,
    rateLimitStore: backend.rateLimitStore,
    health: () => backend.health(),
    metrics,
    peerServer,
    isRunning: () => running,
    now,
  });
  httpServer.on('request', app);

  return {
    metrics,
    async listen() {
      await backend.start();
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          log.info({ port: address.port, host: address.address }, 'listening');
          resolve({ port: address.port, host: address.address });
        });
      });
    },
    async close() {
      if (!running) return;
      running = false;
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      for (const socket of wss?.clients ?? []) socket.close(1001, 'server shutting down');
      httpServer.closeIdleConnections();
      const grace = setTimeout(() => {
        httpServer.closeAllConnections();
        for (const socket of wss?.clients ?? []) socket.terminate();
      }, CLOSE_GRACE_MS);
      await closed;
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      clearTimeout(grace);
      wsLimiter.shutdown();
      await backend.close();
      log.info('closed');
    },
  };
}
