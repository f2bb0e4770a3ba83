/**
 * Configuration from environment variables, validated with zod. Only `main.ts` passes
 * `process.env` in; everything else receives a {@link SignalingConfig}.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PEERJS_KEY } from '@peerfetch/shared';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import type { MessageBudget } from './message-budget.js';

/** express's `trust proxy` value: false (default), true, a hop count, or addresses/subnets/names. */
export type TrustProxy = boolean | number | string[];

export interface SignalingConfig {
  /** TCP port; 0 picks a free one (logged). Default 8080. */
  port: number;
  /** Interface to bind; undefined = every interface (Node's default). */
  host: string | undefined;
  /** PeerJS key that clients pass as `key`. Default {@link DEFAULT_PEERJS_KEY}. */
  peerKey: string;
  /** HMAC key for room ids. */
  roomSecret: string;
  /** True when ROOM_SECRET was generated at start (room ids change on restart). */
  roomSecretGenerated: boolean;
  trustProxy: TrustProxy;
  /** Origins allowed to call /rooms and /ice cross-origin; `['*']` for any; default none. */
  corsOrigins: string[];
  /** Members per room. Default 32. */
  maxRoomSize: number;
  /** Peers connected at once (PeerServer's concurrent_limit). Default 5000. */
  concurrentLimit: number;
  /** Milliseconds without a heartbeat before a peer is dropped. Default 60000. */
  aliveTimeoutMs: number;
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  /** Lifetime of TURN credentials in seconds. Default 86400. */
  turnTtlSeconds: number;
  /** Directory of the built PWA; undefined = serve no site. */
  pwaDir: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Rate-limit window in ms for all limits below. Default 60000. */
  rateLimitWindowMs: number;
  /** Requests per window per client address on /rooms. Default 120. */
  roomsRateLimit: number;
  /** Requests per window per client address on /ice. Default 60. */
  iceRateLimit: number;
  /** New WebSocket connections per window per client address. Default 60. */
  wsRateLimit: number;
  /** How long a peer id stays reserved for its token after it was last connected, in ms. Default 7 days. */
  reservationTtlMs: number;
  /** Most peer id reservations held; the oldest-unseen go first. Default 50000. */
  maxReservations: number;
  /** New peer id reservations per hour per client address. Default 60. */
  newIdsPerAddress: number;
  /** Open PeerJS sockets per client address. Default 64. */
  maxSocketsPerAddress: number;
  /** Room members whose join came from one client address. Default 32. */
  maxMembersPerAddress: number;
  /** Messages one PeerJS socket may send: 50 a second, bursts of 200 (message-budget.ts). */
  messageBudget: MessageBudget;
  /** Redis shared by every instance (`redis://host:port/db`); undefined = one in-memory instance. */
  redisUrl: string | undefined;
  /** Serve Prometheus metrics at `/metrics` on the app port. Default false. */
  publicMetrics: boolean;
}

/** Thrown by {@link parseConfig}; `issues` are one line per bad variable. */
export class SignalingConfigError extends Error {
  override readonly name = 'SignalingConfigError';
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);

const urlList = (schemes: string[]) =>
  z
    .string()
    .optional()
    .transform(list)
    .superRefine((urls, ctx) => {
      for (const url of urls) {
        const scheme = url.split(':', 1)[0] ?? '';
        if (!schemes.includes(scheme) || !/^[a-z]+:[^\s]+$/.test(url)) {
          ctx.addIssue({ code: 'custom', message: `"${url}" is not a ${schemes.join('/')}: URL` });
        }
      }
    });

const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): TrustProxy => {
    const text = (value ?? '').trim();
    if (text === '' || text === 'false') return false;
    if (text === 'true') return true;
    if (/^\d+$/.test(text)) return Number(text);
    const entries = list(text);
    try {
      proxyaddr.compile(entries);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    return entries;
  });

const corsOrigins = z
  .string()
  .optional()
  .transform(list)
  .superRefine((origins, ctx) => {
    for (const origin of origins) {
      if (origin === '*') continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.origin !== origin) {
        ctx.addIssue({
          code: 'custom',
          message: `"${origin}" is not an origin like https://app.example.org`,
        });
      }
    }
  });

const pwaDir = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (!value?.trim()) return undefined;
    const dir = resolve(value.trim());
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      ctx.addIssue({ code: 'custom', message: `${dir} is not a directory` });
    } else if (!existsSync(join(dir, 'index.html'))) {
      ctx.addIssue({ code: 'custom', message: `${dir} has no index.html` });
    }
    return dir;
  });

const redisUrl = z
  .string()
  .trim()
  .optional()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    let scheme = '';
    try {
      scheme = new URL(value).protocol;
    } catch {
      scheme = '';
    }
    if (scheme !== 'redis:' && scheme !== 'rediss:') {
      ctx.addIssue({ code: 'custom', message: 'must be a redis:// or rediss:// URL' });
    }
  });

const flag = z
  .enum(['true', 'false'], { message: 'must be true or false' })
  .optional()
  .transform((value) => value === 'true');

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: int(0, 65535, 8080),
  HOST: z.string().trim().min(1).optional(),
  PEER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"')
    .optional()
    .transform((value) => value ?? DEFAULT_PEERJS_KEY),
  ROOM_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TRUST_PROXY: trustProxy,
  CORS_ORIGINS: corsOrigins,
  MAX_ROOM_SIZE: int(2, 10_000, 32),
  CONCURRENT_LIMIT: int(1, 1_000_000, 5000),
  ALIVE_TIMEOUT: int(10_000, 3_600_000, 60_000),
  STUN_URLS: urlList(['stun', 'stuns']),
  TURN_URLS: urlList(['turn', 'turns']),
  TURN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  TURN_TTL: int(60, 7 * 86_400, 86_400),
  PWA_DIR: pwaDir,
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .transform((value) => value ?? 'info'),
  RATE_LIMIT_WINDOW_MS: int(1000, 86_400_000, 60_000),
  ROOMS_RATE_LIMIT: int(1, 1_000_000, 120),
  ICE_RATE_LIMIT: int(1, 1_000_000, 60),
  WS_RATE_LIMIT: int(1, 1_000_000, 60),
  RESERVATION_TTL: int(60, 90 * 86_400, 7 * 86_400),
  MAX_RESERVATIONS: int(1, 10_000_000, 50_000),
  NEW_IDS_PER_ADDRESS: int(1, 1_000_000, 60),
  MAX_SOCKETS_PER_ADDRESS: int(1, 1_000_000, 64),
  MAX_MEMBERS_PER_ADDRESS: int(1, 10_000, 32),
  MESSAGES_PER_SECOND: int(1, 1_000_000, 50),
  MESSAGE_BURST: int(1, 1_000_000, 200),
  REDIS_URL: redisUrl,
  PUBLIC_METRICS: flag,
});

/**
 * Validates `env` (unset and empty variables take their defaults). Throws
 * {@link SignalingConfigError} listing every bad variable. Outside production a missing
 * ROOM_SECRET is generated.
 */
export function parseConfig(env: Record<string, string | undefined>): SignalingConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new SignalingConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = result.data;
  const issues: string[] = [];
  const production = e.NODE_ENV === 'production';
  if (production && !e.ROOM_SECRET) issues.push('ROOM_SECRET: required when NODE_ENV=production');
  if (e.TURN_URLS.length > 0 && !e.TURN_SECRET)
    issues.push('TURN_SECRET: required when TURN_URLS is set');
  if (e.TURN_SECRET && e.TURN_URLS.length === 0)
    issues.push('TURN_URLS: required when TURN_SECRET is set');
  // Connected ids are never evicted, so the book must have room for every connected peer.
  if (e.MAX_RESERVATIONS < e.CONCURRENT_LIMIT)
    issues.push('MAX_RESERVATIONS: must be at least CONCURRENT_LIMIT');
  if (issues.length > 0) throw new SignalingConfigError(issues);

  return {
    port: e.PORT,
    host: e.HOST,
    peerKey: e.PEER_KEY,
    roomSecret: e.ROOM_SECRET ?? randomBytes(32).toString('base64url'),
    roomSecretGenerated: !e.ROOM_SECRET,
    trustProxy: e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS,
    maxRoomSize: e.MAX_ROOM_SIZE,
    concurrentLimit: e.CONCURRENT_LIMIT,
    aliveTimeoutMs: e.ALIVE_TIMEOUT,
    stunUrls: e.STUN_URLS,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET,
    turnTtlSeconds: e.TURN_TTL,
    pwaDir: e.PWA_DIR,
    logLevel: e.LOG_LEVEL,
    rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
    roomsRateLimit: e.ROOMS_RATE_LIMIT,
    iceRateLimit: e.ICE_RATE_LIMIT,
    wsRateLimit: e.WS_RATE_LIMIT,
    reservationTtlMs: e.RESERVATION_TTL * 1000,
    maxReservations: e.MAX_RESERVATIONS,
    newIdsPerAddress: e.NEW_IDS_PER_ADDRESS,
    maxSocketsPerAddress: e.MAX_SOCKETS_PER_ADDRESS,
    maxMembersPerAddress: e.MAX_MEMBERS_PER_ADDRESS,
    messageBudget: { perSecond: e.MESSAGES_PER_SECOND, burst: e.MESSAGE_BURST },
    redisUrl: e.REDIS_URL,
    publicMetrics: e.PUBLIC_METRICS,
  };
}

/** Text for `--help`. */
export const CONFIG_HELP = `peerfetch-signaling: PeerJS server, same-LAN rooms, ICE settings, PWA host.

Configured by environment variables (see signaling/README.md):
  PORT                 TCP port, 0 = any free port               (default 8080)
  HOST                 interface to bind                         (default: all)
  PEER_KEY             PeerJS key clients must present           (default ${DEFAULT_PEERJS_KEY})
  ROOM_SECRET          HMAC key for room ids, >= 32 chars        (required if NODE_ENV=production)
  TRUST_PROXY          express "trust proxy": true, hop count, or
                       addresses/subnets/loopback,uniquelocal    (default: trust none)
  CORS_ORIGINS         origins allowed on /rooms and /ice, or *  (default: none)
  MAX_ROOM_SIZE        members per room                          (default 32)
  CONCURRENT_LIMIT     peers connected at once                   (default 5000)
  ALIVE_TIMEOUT        ms without heartbeat before a peer drops  (default 60000)
  STUN_URLS            comma-separated stun: URLs                (default none)
  TURN_URLS            comma-separated turn:/turns: URLs         (needs TURN_SECRET)
  TURN_SECRET          coturn static-auth-secret, >= 16 chars
  TURN_TTL             TURN credential lifetime in seconds       (default 86400)
  PWA_DIR              built PWA to serve                        (default: none)
  LOG_LEVEL            fatal|error|warn|info|debug|trace|silent  (default info)
  RATE_LIMIT_WINDOW_MS window of the rate limits below           (default 60000)
  ROOMS_RATE_LIMIT     /rooms requests per window per address    (default 120)
  ICE_RATE_LIMIT       /ice requests per window per address      (default 60)
  WS_RATE_LIMIT        new WebSockets per window per address     (default 60)
  RESERVATION_TTL      seconds a peer id stays reserved for its
                       token after it was last connected         (default 604800, 7 days)
  MAX_RESERVATIONS     peer id reservations held; at least
                       CONCURRENT_LIMIT                          (default 50000)
  NEW_IDS_PER_ADDRESS  new peer ids an address reserves per hour (default 60)
  MAX_SOCKETS_PER_ADDRESS
                       open PeerJS sockets per address           (default 64)
  MAX_MEMBERS_PER_ADDRESS
                       room members joined from one address      (default 32)
  MESSAGES_PER_SECOND  messages one PeerJS socket may send a
                       second, sustained                         (default 50)
  MESSAGE_BURST        messages one PeerJS socket may send at
                       once                                      (default 200)
  REDIS_URL            redis:// URL shared by several instances  (default: one in-memory instance)
  PUBLIC_METRICS       true serves /metrics on this port         (default false)
`;
