/**
 * The two Redis connections an instance needs (commands, and a subscriber, which Redis
 * reserves for pub/sub), and whether Redis is reachable right now. Commands never wait in
 * an offline queue: while Redis is down they fail at once, so a registration is refused with
 * a clear error instead of hanging. ioredis reconnects on its own, with backoff.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SharedStateUnavailableError } from '../shared-state.js';

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000;
/** A command that takes longer than this fails (Redis answers in well under a millisecond). */
const COMMAND_TIMEOUT_MS = 2000;

export interface RedisConnections {
  command: Redis;
  subscriber: Redis;
  /** True while both connections are ready. */
  isUp(): boolean;
  /** Runs `listener` each time both connections are ready again (and once at first). */
  onUp(listener: () => void): void;
  close(): Promise<void>;
}

export function connectRedis(url: string, logger: Logger): RedisConnections {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
    lazyConnect: false,
  };
  const command = new Redis(url, { ...options, connectionName: 'peerfetch-signaling' });
  const subscriber = new Redis(url, { ...options, connectionName: 'peerfetch-relay' });
  const listeners: Array<() => void> = [];
  let down = true;
  let warned = false;

  const ready = () => command.status === 'ready' && subscriber.status === 'ready';
  const onReady = () => {
    if (!ready() || !down) return;
    down = false;
    warned = false;
    logger.info('redis reachable');
    for (const listener of listeners) listener();
  };
  const onTrouble = (error?: Error) => {
    if (down && warned) return;
    down = true;
    warned = true;
    // One warning per outage: ioredis retries every few hundred ms and would repeat it.
    logger.warn({ err: error?.message }, 'redis unreachable; refusing new registrations');
  };
  for (const connection of [command, subscriber]) {
    connection.on('ready', onReady);
    connection.on('error', (error: Error) => onTrouble(error));
    connection.on('close', () => onTrouble());
  }

  return {
    command,
    subscriber,
    isUp: () => ready() && !down,
    onUp(listener) {
      listeners.push(listener);
    },
    async close() {
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Runs a Lua script by its SHA-1, loading it again after Redis restarted (NOSCRIPT). */
export function scriptRunner(redis: Redis) {
  const shas = new Map<string, string>();
  return async (script: string, args: (string | number)[]): Promise<unknown> => {
    let sha = shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      shas.set(script, sha);
    }
    try {
      try {
        return await redis.evalsha(sha, 0, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await redis.eval(script, 0, ...args);
      }
    } catch (error) {
      throw asStoreError(error);
    }
  };
}

export type RunScript = ReturnType<typeof scriptRunner>;

/**
 * A failure to reach Redis becomes {@link SharedStateUnavailableError}; an error Redis
 * answered (a bug in a script) stays as it is.
 */
export function asStoreError(error: unknown): unknown {
  if (error instanceof Error && error.name === 'ReplyError') return error;
  return new SharedStateUnavailableError(error);
}
