/**
 * The edge's operations port: `/healthz` for systemd, a load balancer or a person, and
 * `/metrics` for Prometheus. Bound to loopback by default (config `ops.listen`). It is not
 * what the edge is for, so a busy port is told once and the edge serves on without it.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger.js';
import type { EdgeStatus } from '../main.js';
import type { EdgeMetrics } from './metrics.js';

export interface OpsServer {
  /** The bound address, `host:port`; undefined when off or the port was unavailable. */
  readonly address: string | undefined;
  close(): Promise<void>;
}

/** Health as JSON: 200 while registered with the signaling server (phones can reach it). */
export function healthOf(status: EdgeStatus): { code: number; body: Record<string, unknown> } {
  const joined = status.signaling.state === 'joined';
  return {
    code: joined ? 200 : 503,
    body: {
      status: joined ? 'ok' : 'unavailable',
      ...(joined
        ? {}
        : { reason: `not registered with the signaling server (${status.signaling.state})` }),
      peerId: status.peerId,
      version: status.version,
      signaling: status.signaling.state,
      sessions: status.sessions,
      uptimeSeconds: status.uptimeSeconds,
    },
  };
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

export async function startOpsServer(
  listen: string,
  deps: { status(): EdgeStatus; metrics: EdgeMetrics; logger: Logger },
): Promise<OpsServer> {
  if (listen === 'off') return { address: undefined, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://ops.invalid').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      const { code, body } = healthOf(deps.status());
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (path === '/metrics') {
      deps.metrics.registry.metrics().then(
        (text) =>
          res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(`metrics failed: ${error.message}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /healthz or /metrics\n');
    }
  });
  const { host, port } = splitListen(listen);
  const address = await new Promise<string | undefined>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      deps.logger.warn(
        { listen, err: error.code ?? error.message },
        'health and metrics not served: cannot listen there (set ops.listen or PEERFETCH_OPS_LISTEN)',
      );
      resolve(undefined);
    });
    server.listen(port, host, () => {
      const bound = server.address();
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve(typeof bound === 'object' && bound ? `${shown}:${bound.port}` : listen);
    });
  });
  if (address) deps.logger.info({ address }, 'health and metrics listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        if (!address) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
