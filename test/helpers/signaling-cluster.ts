/**
 * Several signaling instances sharing one Redis (REDIS_URL), as separate processes, for the
 * multi-instance tests and bench.
 */
import type { StartedRedis } from './redis-server.js';
import { type StartedSignaling, startSignaling } from './signaling.js';

/** Starts `count` instances on free ports, all pointed at `redis`, with `env` on top. */
export async function startSignalingInstances(
  redis: StartedRedis,
  count: number,
  env: Record<string, string> = {},
): Promise<StartedSignaling[]> {
  const instances: StartedSignaling[] = [];
  for (let i = 0; i < count; i++) {
    instances.push(await startSignaling({ REDIS_URL: redis.url, ...env }));
  }
  return instances;
}
