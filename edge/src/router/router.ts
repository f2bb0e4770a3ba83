/**
 * Maps request paths to handlers by longest prefix. Checks the path first, so no handler
 * ever sees a dot segment, and none sees an encoded slash unless its route allows them.
 */
import { problemResponse, type RequestHandler } from '@peerfetch/shared';
import { checkPath, ENCODED_SLASH_REFUSED, hasEncodedSlash, underPrefix } from './path.js';

/** Handles a request whose path is below its route; `rest` is the path below the prefix plus the query. */
export type RouteHandler = (request: Request, rest: string) => Promise<Response>;

export interface Route {
  /** `/` or `/name[/sub]`, no trailing slash. */
  prefix: string;
  handler: RouteHandler;
  /** Pass `%2F` within segments on to the handler. Default false: 400. */
  encodedSlashes?: boolean;
}

export function createRouter(routes: readonly Route[]): RequestHandler {
  // Longest prefix first, so `/ha/api` wins over `/ha` and both over `/`.
  const ordered = [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
  return async (request) => {
    const url = new URL(request.url);
    // Checked as strictly as any route allows; an encoded slash is never a separator here,
    // so it cannot reach a route through another's prefix.
    const checked = checkPath(url.pathname, true);
    if (!checked.ok) return problemResponse(400, checked.reason);
    const route = ordered.find((r) => underPrefix(checked.path, r.prefix));
    if (!route) return problemResponse(404, `no route for ${checked.path}`);
    if (!route.encodedSlashes && hasEncodedSlash(checked.path)) {
      return problemResponse(400, ENCODED_SLASH_REFUSED);
    }
    const below = route.prefix === '/' ? checked.path : checked.path.slice(route.prefix.length);
    return route.handler(request, `${below || '/'}${url.search}`);
  };
}
