/**
 * Turns each configuration source (file, environment, command-line flags) into a partial
 * config object, remembering where every value came from so errors can name it.
 */

/** A partial, unvalidated config plus the origin of each leaf (`limits.sessions` -> `PEERFETCH_MAX_SESSIONS`). */
export interface ConfigLayer {
  values: Record<string, unknown>;
  origins: Map<string, string>;
}

/** Flags accepted by `peerfetch-edge start` that map onto config fields. */
export interface ConfigFlags {
  config?: string;
  signaling?: string;
  signalingKey?: string;
  stateDir?: string;
  name?: string;
  route?: string[];
  mediaDir?: string;
  deviceApi?: boolean;
  logLevel?: string;
  opsListen?: string;
}

const ENV_FIELDS: ReadonlyArray<
  [string, string, 'string' | 'int' | 'number' | 'bool' | 'json' | 'routes']
> = [
  ['PEERFETCH_SIGNALING_URL', 'signaling.url', 'string'],
  ['PEERFETCH_SIGNALING_KEY', 'signaling.key', 'string'],
  ['PEERFETCH_NAME', 'name', 'string'],
  ['PEERFETCH_STATE_DIR', 'stateDir', 'string'],
  ['PEERFETCH_ROUTES', 'routes', 'routes'],
  ['PEERFETCH_DEVICE_API', 'deviceApi.enabled', 'bool'],
  ['PEERFETCH_MEDIA_DIR', 'deviceApi.mediaDir', 'string'],
  ['PEERFETCH_MAX_SESSIONS', 'limits.sessions', 'int'],
  ['PEERFETCH_MAX_REQUESTS_PER_SESSION', 'limits.requestsPerSession', 'int'],
  ['PEERFETCH_UPSTREAM_TIMEOUT_MS', 'limits.upstreamTimeoutMs', 'int'],
  ['PEERFETCH_MAX_REQUEST_BODY_BYTES', 'limits.requestBodyBytes', 'int'],
  ['PEERFETCH_PAIRING_WINDOW_MINUTES', 'pairing.windowMinutes', 'number'],
  ['PEERFETCH_BATCH_FRAMES', 'batchFrames', 'bool'],
  ['PEERFETCH_ICE_SERVERS', 'iceServers', 'json'],
  ['PEERFETCH_RELAY_ONLY', 'relayOnly', 'bool'],
  ['PEERFETCH_OPS_LISTEN', 'ops.listen', 'string'],
  ['PEERFETCH_LOG_LEVEL', 'logLevel', 'string'],
];

/** Raised for any configuration problem; the message is meant for a person. */
export class EdgeConfigError extends Error {
  override readonly name = 'EdgeConfigError';
}

export function emptyLayer(): ConfigLayer {
  return { values: {}, origins: new Map() };
}

/** Sets `a.b.c` in a nested object and records its origin. */
export function setPath(layer: ConfigLayer, path: string, value: unknown, origin: string): void {
  const keys = path.split('.');
  let node = layer.values;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
  layer.origins.set(path, origin);
}

/** Parses `PREFIX=URL` (the form of `--route` and each item of `PEERFETCH_ROUTES`). */
export function parseRoute(spec: string, origin: string): [string, string] {
  const at = spec.indexOf('=');
  if (at <= 0 || at === spec.length - 1) {
    throw new EdgeConfigError(`${origin}: route "${spec}" must look like /prefix=http://host:port`);
  }
  return [spec.slice(0, at).trim(), spec.slice(at + 1).trim()];
}

function parseEnvValue(name: string, raw: string, kind: string): unknown {
  switch (kind) {
    case 'int':
      if (!/^\d+$/.test(raw.trim()))
        throw new EdgeConfigError(`${name}: "${raw}" is not a whole number`);
      return Number(raw.trim());
    case 'number':
      if (!/^\d+(\.\d+)?$/.test(raw.trim()))
        throw new EdgeConfigError(`${name}: "${raw}" is not a number`);
      return Number(raw.trim());
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new EdgeConfigError(`${name}: "${raw}" is not true or false`);
    }
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        throw new EdgeConfigError(`${name}: not valid JSON`);
      }
    case 'routes':
      return Object.fromEntries(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => parseRoute(s, name)),
      );
    default:
      return raw;
  }
}

/** Reads the `PEERFETCH_*` variables. Empty variables count as unset. */
export function layerFromEnv(env: Record<string, string | undefined>): ConfigLayer {
  const layer = emptyLayer();
  for (const [name, path, kind] of ENV_FIELDS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(layer, path, parseEnvValue(name, raw, kind), name);
  }
  return layer;
}

/** Maps command-line flags onto config fields. */
export function layerFromFlags(flags: ConfigFlags): ConfigLayer {
  const layer = emptyLayer();
  const set = (path: string, value: unknown, flag: string) => {
    if (value !== undefined) setPath(layer, path, value, flag);
  };
  set('signaling.url', flags.signaling, '--signaling');
  set('signaling.key', flags.signalingKey, '--signaling-key');
  set('stateDir', flags.stateDir, '--state-dir');
  set('name', flags.name, '--name');
  set('deviceApi.mediaDir', flags.mediaDir, '--media-dir');
  set('deviceApi.enabled', flags.deviceApi, '--no-device-api');
  set('logLevel', flags.logLevel, '--log-level');
  set('ops.listen', flags.opsListen, '--ops-listen');
  if (flags.route?.length) {
    set('routes', Object.fromEntries(flags.route.map((r) => parseRoute(r, '--route'))), '--route');
  }
  return layer;
}

/** Records every leaf of a parsed file under the file's name. */
export function layerFromObject(values: Record<string, unknown>, origin: string): ConfigLayer {
  const layer: ConfigLayer = { values, origins: new Map() };
  const walk = (node: unknown, prefix: string) => {
    if (typeof node === 'object' && node !== null && !Array.isArray(node) && prefix !== 'routes') {
      for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else if (prefix) {
      layer.origins.set(prefix, origin);
    }
  };
  walk(values, '');
  return layer;
}
