/**
 * The express application: security headers, health and metrics, the rooms and ICE APIs,
 * and the PWA. The PeerJS server is mounted by the caller (it needs the HTTP server).
 */
import { PEERJS_PATH } from '@peerfetch/shared';
import cors from 'cors';
import express, { type Express, type Handler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { SignalingConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import { errorHandler, notFound } from './problem.js';
import { httpRateLimit, type RateLimitStoreFactory } from './rate-limit.js';
import { asyncRoute } from './routes/async-route.js';
import { createAuthenticate } from './routes/auth.js';
import { iceRouter } from './routes/ice.js';
import { roomsRouter } from './routes/rooms.js';
import type { PeerVerifier, RoomStore } from './shared-state.js';
import { staticSite } from './static-site.js';

/** Rooms requests are a few short strings; anything bigger is not a client of ours. */
const JSON_BODY_LIMIT = '4kb';

export interface AppDeps {
  config: SignalingConfig;
  logger: Logger;
  peers: PeerVerifier;
  rooms: RoomStore;
  metrics: SignalingMetrics;
  /** Where the HTTP rate limits count (undefined = this process's memory). */
  rateLimitStore?: RateLimitStoreFactory;
  /** The state `/healthz` reports; `ok: false` answers 503. */
  health: () => Promise<HealthReport>;
  /** Mounted at PEERJS_PATH. */
  peerServer: Handler;
  /** False once shutdown began (health then answers 503). */
  isRunning: () => boolean;
  now: () => number;
}

export interface HealthReport {
  ok: boolean;
  body: Record<string, unknown>;
}

/** CORS options for the APIs: only the configured origins, never credentials. */
export function corsOptions(origins: string[]): cors.CorsOptions {
  return {
    origin: origins.includes('*') ? '*' : origins.length > 0 ? origins : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type'],
    maxAge: 600,
  };
}

export function createApp(deps: AppDeps): Express {
  const { config, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Device pictures and downloads reach the PWA as blob: URLs made from PeerFetch responses.
          'img-src': ["'self'", 'data:', 'blob:'],
          'media-src': ["'self'", 'blob:'],
          // The app's signaling server is a runtime setting, so it may talk to another one.
          'connect-src': ["'self'", 'https:', 'wss:'],
          // TLS is the reverse proxy's job; a plain-HTTP local run must still load its assets.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );

  app.use(PEERJS_PATH, deps.peerServer);

  app.get(
    '/healthz',
    asyncRoute(async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      if (!deps.isRunning()) {
        res.status(503).json({ status: 'stopping' });
        return;
      }
      const report = await deps.health();
      res.status(report.ok ? 200 : 503).json(report.body);
    }),
  );
  // Off unless PUBLIC_METRICS=true: the counts describe the server to anyone who can reach it.
  if (config.publicMetrics) {
    app.get(
      '/metrics',
      asyncRoute(async (_req, res) => {
        res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      }),
    );
  }

  const authenticate = createAuthenticate(deps.peers, metrics);
  const apiCors = cors(corsOptions(config.corsOrigins));
  const window = config.rateLimitWindowMs;
  app.use(
    '/rooms',
    apiCors,
    httpRateLimit(
      { windowMs: window, limit: config.roomsRateLimit, store: deps.rateLimitStore?.('rooms') },
      metrics,
      'rooms',
    ),
    express.json({ limit: JSON_BODY_LIMIT }),
    roomsRouter({
      rooms: deps.rooms,
      roomSecret: config.roomSecret,
      authenticate,
      metrics,
      logger: logger.child({ module: 'rooms' }),
    }),
  );
  app.use(
    '/ice',
    apiCors,
    httpRateLimit(
      { windowMs: window, limit: config.iceRateLimit, store: deps.rateLimitStore?.('ice') },
      metrics,
      'ice',
    ),
    iceRouter(config, authenticate, deps.now),
  );

  if (config.pwaDir) app.use(staticSite(config.pwaDir));
  app.use(notFound);
  app.use(errorHandler(logger.child({ module: 'http' })));
  return app;
}
