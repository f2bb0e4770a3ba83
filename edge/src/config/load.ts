/**
 * Loads the edge configuration. Precedence: flags > environment > file > defaults.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { configSchema, type EdgeConfig } from './schema.js';
import {
  type ConfigFlags,
  type ConfigLayer,
  EdgeConfigError,
  layerFromEnv,
  layerFromFlags,
  layerFromObject,
} from './sources.js';

/** Used when neither `--config` nor `PEERFETCH_CONFIG` names a file; may be absent. */
export const DEFAULT_CONFIG_PATH = '/etc/peerfetch/edge.yaml';

export interface LoadConfigOptions {
  flags?: ConfigFlags;
  env?: Record<string, string | undefined>;
}

/** Reads the config file, if any: an explicitly named file must exist. */
async function layerFromFile(
  flags: ConfigFlags,
  env: LoadConfigOptions['env'],
): Promise<ConfigLayer> {
  const explicit = flags.config ?? env?.PEERFETCH_CONFIG;
  const path = explicit ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!explicit && code === 'ENOENT') return { values: {}, origins: new Map() };
    throw new EdgeConfigError(`cannot read config file ${path}: ${code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new EdgeConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return { values: {}, origins: new Map() };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EdgeConfigError(`config file ${path} must hold a mapping of settings`);
  }
  return layerFromObject(parsed as Record<string, unknown>, path);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

/** Finds where a failing value came from: the longest recorded path that prefixes it. */
function originOf(path: string, layers: ConfigLayer[]): string | undefined {
  for (const layer of [...layers].reverse()) {
    for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      const origin = layer.origins.get(p);
      if (origin) return origin;
    }
  }
  return undefined;
}

/** Merges the layers and validates them, or throws a EdgeConfigError listing every problem. */
export function resolveConfig(layers: ConfigLayer[]): EdgeConfig {
  const merged = layers.reduce<Record<string, unknown>>((acc, l) => deepMerge(acc, l.values), {});
  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const origin = originOf(path, layers);
    const where = path || '(top level)';
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return `  ${where}: required (set it in the config file, the environment or a flag)`;
    }
    return `  ${where}${origin ? ` (from ${origin})` : ''}: ${issue.message}`;
  });
  throw new EdgeConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Loads and validates the configuration from file, environment and flags. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<EdgeConfig> {
  const flags = options.flags ?? {};
  const env = options.env ?? {};
  const file = await layerFromFile(flags, env);
  return resolveConfig([file, layerFromEnv(env), layerFromFlags(flags)]);
}

/**
 * The state directory alone, for commands such as `status` that need nothing else and
 * must work even when the rest of the configuration is incomplete.
 */
export async function loadStateDir(options: LoadConfigOptions = {}): Promise<string> {
  const flags = options.flags ?? {};
  const env = options.env ?? {};
  const file = await layerFromFile(flags, env);
  const fromFile = file.values.stateDir;
  const dir =
    flags.stateDir ??
    (env.PEERFETCH_STATE_DIR || undefined) ??
    (typeof fromFile === 'string' ? fromFile : undefined);
  return dir ?? (configSchema.shape.stateDir.parse(undefined) as string);
}

export { EdgeConfigError };
