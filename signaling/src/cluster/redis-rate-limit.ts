/**
 * The rate limits' counters in Redis (rate-limit-redis, express-rate-limit's own store), so
 * a client address has one budget whichever instance it reaches. A store that failed is
 * made again on the next call: rate-limit-redis loads its script once, when it is made, and
 * would otherwise keep failing after Redis was unreachable then.
 */
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import type { RateLimitStoreFactory } from '../rate-limit.js';
import { RATE_LIMIT_PREFIX } from './keys.js';
import { asStoreError } from './redis-connection.js';

export function redisRateLimitStores(redis: Redis): RateLimitStoreFactory {
  return (name) => {
    let options: Options | undefined;
    let store: RedisStore | undefined;
    const current = () => {
      if (!store) {
        store = new RedisStore({
          prefix: `${RATE_LIMIT_PREFIX}${name}:`,
          sendCommand: (command: string, ...args: string[]) =>
            redis.call(command, ...args) as Promise<never>,
        });
        if (options) {
          const init = store.init(options);
          // A failed load is noticed, and the store made again, at the next increment.
          if (init instanceof Promise) init.catch(() => undefined);
        }
      }
      return store;
    };
    const guarded = async <T>(call: (s: RedisStore) => Promise<T>): Promise<T> => {
      try {
        return await call(current());
      } catch (error) {
        store = undefined;
        throw asStoreError(error);
      }
    };
    const wrapper: Store = {
      // The store is made at its first use, not here: at start Redis may not be connected yet.
      init(given) {
        options = given;
      },
      increment: (key) => guarded<ClientRateLimitInfo>((s) => s.increment(key)),
      decrement: (key) => guarded((s) => s.decrement(key)),
      resetKey: (key) => guarded((s) => s.resetKey(key)),
      get: (key) => guarded((s) => s.get(key)),
      prefix: `${RATE_LIMIT_PREFIX}${name}:`,
    };
    return wrapper;
  };
}
