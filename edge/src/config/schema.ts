/**
 * The edge's configuration, validated once at start. Every field has a default except the
 * signaling URL, so a minimal file is one line.
 */
import { hostname } from 'node:os';
import {
  DEFAULT_PEERJS_KEY,
  DEFAULT_REQUESTS_PER_SESSION,
  DEFAULT_WS_MESSAGE_BYTES,
  type IceServer,
} from '@peerfetch/shared';
import { z } from 'zod';

/** A route prefix: starts with `/`, no trailing slash (except `/` itself), no dot segments. */
const routePrefix = z
  .string()
  .regex(/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/, 'must look like /name or /name/sub')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or ..');

/** Health and metrics on loopback; 9469 is free in Prometheus's list of exporter ports. */
export const DEFAULT_OPS_LISTEN = '127.0.0.1:9469';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .refine((u) => {
    // URL.parse, not new URL: the url check above has already told what is wrong with a non-URL.
    const url = URL.parse(u);
    return !url || (!url.search && !url.hash);
  }, 'must not have a query or fragment');

/**
 * A route as the config file may spell it in full. The short form, the URL alone, is the
 * same with every option at its default.
 */
const routeTargetObject = z.strictObject({
  /** Base URL requests below the prefix are forwarded to. Required. */
  url: httpUrl,
  /**
   * Pass `%2F` (an encoded slash inside a segment) to the upstream, for APIs that name things
   * by paths within a segment. Dot segments stay refused however they are spelled, so a path
   * never climbs out of the route. Default false: such paths get 400.
   */
  encodedSlashes: z.boolean().default(false),
});

const routeTarget = z.union([httpUrl, routeTargetObject]);

/** A configured route with every option filled in. */
export type RouteTarget = z.infer<typeof routeTargetObject>;

/** The full form of a route however the config spelled it. */
export function routeTargetOf(value: z.infer<typeof routeTarget>): RouteTarget {
  return typeof value === 'string' ? { url: value, encodedSlashes: false } : value;
}

const iceServer = z.object({
  urls: z.union([z.string(), z.array(z.string()).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
}) satisfies z.ZodType<IceServer>;

export const configSchema = z.strictObject({
  signaling: z.strictObject({
    /** Base URL of the signaling server; PeerJS lives below it at PEERJS_PATH. Required. */
    url: httpUrl,
    /** PeerJS server key. Default {@link DEFAULT_PEERJS_KEY}. */
    key: z.string().min(1).default(DEFAULT_PEERJS_KEY),
  }),
  /** Device name shown to phones in the room. Default: the hostname. */
  name: z.string().trim().min(1).max(64).default(hostname()),
  /** Where the identity and thumbnails live. Default `/var/lib/peerfetch-edge`. */
  stateDir: z.string().min(1).default('/var/lib/peerfetch-edge'),
  /**
   * Path prefix -> upstream base URL, or `{ url, encodedSlashes }` for a route with options.
   * `/` defaults to the built-in device API.
   */
  routes: z.record(routePrefix, routeTarget).default({}),
  deviceApi: z
    .strictObject({
      /** Serve the built-in device API at `/` unless a route claims `/`. Default true. */
      enabled: z.boolean().default(true),
      /** Folder served by `/api/media`; no media API when absent. */
      mediaDir: z.string().min(1).optional(),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Concurrent client sessions. Default 16. */
      sessions: z.int().min(1).max(1000).default(16),
      /** Requests in flight per session; more get 429. Default DEFAULT_REQUESTS_PER_SESSION. */
      requestsPerSession: z.int().min(1).max(1024).default(DEFAULT_REQUESTS_PER_SESSION),
      /** Time for an upstream to send its response head, in ms. Default 30000. */
      upstreamTimeoutMs: z.int().min(100).max(600_000).default(30_000),
      /** Largest request body in bytes; larger get 413. Default 100 MiB. */
      requestBodyBytes: z
        .int()
        .min(0)
        .max(2 ** 40)
        .default(100 * 1024 * 1024),
      /** Largest WebSocket message either way; larger closes the socket with 1009. Default 16 MiB. */
      webSocketMessageBytes: z
        .int()
        .min(1024)
        .max(2 ** 31)
        .default(DEFAULT_WS_MESSAGE_BYTES),
    })
    .prefault({}),
  pairing: z
    .strictObject({
      /** How long a pairing window stays open, in minutes. Default 5. */
      windowMinutes: z.number().min(0.1).max(60).default(5),
    })
    .prefault({}),
  /** Pack frames into BATCH messages with clients that accept it (SessionOptions.batch). */
  batchFrames: z.boolean().default(true),
  /** ICE servers; by default taken from the signaling server's `/ice`. */
  iceServers: z.array(iceServer).optional(),
  /**
   * Connect only through TURN relays (RTCConfiguration iceTransportPolicy `relay`): phones
   * never learn this network's addresses, at the cost of a relay hop. Needs TURN. Default false.
   */
  relayOnly: z.boolean().default(false),
  ops: z
    .strictObject({
      /**
       * Where `/healthz` and Prometheus `/metrics` are served: `host:port`, or `off`. Default
       * loopback only, for the Pi's own monitoring: the figures tell how the device is used.
       */
      listen: z
        .union([
          z.literal('off'),
          z
            .string()
            .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port or off'),
        ])
        .default(DEFAULT_OPS_LISTEN),
    })
    .prefault({}),
  /** pino log level. Default `info`. */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

export type EdgeConfig = z.infer<typeof configSchema>;
