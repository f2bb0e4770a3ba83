/**
 * Maps request paths to handlers by longest prefix. Checks the path first, so no handler
 * ever sees a dot segment or an encoded separator.
 */
import { problemResponse, type RequestHandler } from '@peerfetch/shared';
import { checkPath, underPrefix } from './path.js';

/** Handles a request whose path is below its route; `rest` is the path below the prefix plus the query. */
export type RouteHandler = (request: Request, rest: string) => Promise<Response>;

export interface Route {
  /** `/` or `/name[/sub]`, no trailing slash. */
  prefix: string;
  handler: RouteHandler;
}

export function createRouter(routes: readonly Route[]): RequestHandler {
  // Longest prefix first, so `/ha/api` wins over `/ha` and both over `/`.
  const ordered = [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
  return async (request) => {
    const url = new URL(request.url);
    const checked = checkPath(url.pathname);
    if (!checked.ok) return problemResponse(400, checked.reason);
    const route = ordered.find((r) => underPrefix(checked.path, r.prefix));
    if (!route) return problemResponse(404, `no route for ${checked.path}`);
    const below = route.prefix === '/' ? checked.path : checked.path.slice(route.prefix.length);
    return route.handler(request, `${below || '/'}${url.search}`);
  };
}
