/** Builds the router from the configuration: upstream routes plus the built-in device API. */
import type { RequestHandler } from '@peerfetch/shared';
import { type EdgeConfig, routeTargetOf } from '../config/schema.js';
import { createDeviceApi } from '../device-api/handler.js';
import type { Logger } from '../logger.js';
import { createRouter, type Route, type RouteHandler } from './router.js';
import { createUpstreamHandler } from './upstream.js';
import { createWebSocketHandler, isWebSocketRequest } from './websocket.js';

/** A route's WebSocket handler for WEBSOCKET tickets, its HTTP handler for the rest. */
function either(webSocket: RouteHandler, http: RouteHandler): RouteHandler {
  return (request, rest) => (isWebSocketRequest(request) ? webSocket : http)(request, rest);
}

export function buildRoutes(config: EdgeConfig, version: string): Route[] {
  const routes: Route[] = Object.entries(config.routes).map(([prefix, value]) => {
    const target = routeTargetOf(value);
    return {
      prefix,
      encodedSlashes: target.encodedSlashes,
      handler: either(
        createWebSocketHandler({
          baseUrl: target.url,
          prefix,
          timeoutMs: config.limits.upstreamTimeoutMs,
          maxMessageBytes: config.limits.webSocketMessageBytes,
        }),
        createUpstreamHandler({
          baseUrl: target.url,
          label: prefix,
          prefix,
          timeoutMs: config.limits.upstreamTimeoutMs,
          maxBodyBytes: config.limits.requestBodyBytes,
        }),
      ),
    };
  });
  if (config.deviceApi.enabled && !config.routes['/']) {
    routes.push({
      prefix: '/',
      handler: createDeviceApi({
        stateDir: config.stateDir,
        version,
        mediaDir: config.deviceApi.mediaDir,
        maxUploadBytes: config.limits.requestBodyBytes,
      }),
    });
  }
  return routes;
}

/** The router, logging one line per request at debug level and every 5xx at warn. */
export function buildHandler(config: EdgeConfig, version: string, logger: Logger): RequestHandler {
  const router = createRouter(buildRoutes(config, version));
  return async (request) => {
    const started = performance.now();
    let response = await router(request);
    if (request.method === 'HEAD' && response.body) {
      // A handler or upstream that answered HEAD with a body: the head alone is the answer.
      await response.body.cancel();
      response = new Response(null, { status: response.status, headers: response.headers });
    }
    const failed = response.status >= 500;
    // The entry is built only when it is written: at info level, most requests log nothing.
    if (failed || logger.isLevelEnabled('debug')) {
      const entry = {
        method: request.method,
        path: new URL(request.url).pathname,
        status: response.status,
        ms: Math.round(performance.now() - started),
      };
      if (failed) logger.warn(entry, 'request failed');
      else logger.debug(entry, 'request');
    }
    return response;
  };
}
