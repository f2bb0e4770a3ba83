/** Counts and times each request by the route that took it (metrics.ts). */
import type { RequestHandler } from '@peerfetch/shared';
import type { EdgeMetrics } from './metrics.js';

/** The longest configured prefix that `path` is under; `/` is the device API or a root route. */
export function routeOf(prefixes: readonly string[], path: string): string {
  let best = '/';
  for (const prefix of prefixes) {
    const under = path === prefix || path.startsWith(`${prefix}/`);
    if (under && prefix.length > best.length) best = prefix;
  }
  return best;
}

export function measured(
  handler: RequestHandler,
  metrics: EdgeMetrics,
  prefixes: readonly string[],
): RequestHandler {
  return async (request) => {
    const route = routeOf(prefixes, new URL(request.url).pathname);
    const stopTimer = metrics.requestSeconds.startTimer({ route });
    const response = await handler(request);
    stopTimer();
    metrics.requests.inc({ route, status: `${Math.floor(response.status / 100)}xx` });
    return response;
  };
}
