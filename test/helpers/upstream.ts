/**
 * A small HTTP server standing in for a device's local API in edge tests: echoes, big
 * deterministic downloads, hashing uploads, and endpoints that stall so tests can watch
 * timeouts and cancellations from the upstream's side.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StartedUpstream {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Requests received so far, by path (without query). */
  hits: Map<string, number>;
  /** Every request received so far, whatever the path. */
  requestCount(): number;
  /** Resolves when the next request to `path` arrives. */
  nextRequest(path: string): Promise<void>;
  /** Resolves when the connection of the next request to `path` closes (a cancel reached us). */
  nextClose(path: string): Promise<void>;
  stop(): Promise<void>;
}

/** Deterministic bytes: the same `n` always gives the same content, so tests can hash it too. */
export function patternBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i <= n - 4 ? i : 0);
  }
  for (let i = n - (n % 4); i < n; i++) out[i] = i & 0xff;
  return out;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

type Waiters = Map<string, (() => void)[]>;

function notify(waiters: Waiters, path: string) {
  for (const resolve of waiters.get(path)?.splice(0) ?? []) resolve();
}

function wait(waiters: Waiters, path: string): Promise<void> {
  return new Promise((resolve) => {
    const list = waiters.get(path) ?? [];
    list.push(resolve);
    waiters.set(path, list);
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startUpstream(): Promise<StartedUpstream> {
  const hits = new Map<string, number>();
  const arrivals: Waiters = new Map();
  const closes: Waiters = new Map();
  const download = new Map<number, Buffer>();

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL) {
    switch (url.pathname) {
      case '/json':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ hello: 'world', n: Number(url.searchParams.get('n') ?? 0) }));
        return;
      case '/echo': {
        const body = await readBody(req);
        res.setHeader('content-type', req.headers['content-type'] ?? 'application/octet-stream');
        for (const [name, value] of Object.entries(req.headers)) {
          if (name.startsWith('x-') && typeof value === 'string')
            res.setHeader(`x-echo-${name.slice(2)}`, value);
        }
        res.setHeader('x-method', req.method ?? '');
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.end(body);
        return;
      }
      case '/bytes': {
        const n = Number(url.searchParams.get('n'));
        let data = download.get(n);
        if (!data) {
          data = patternBytes(n);
          download.set(n, data);
        }
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', String(n));
        res.end(data);
        return;
      }
      case '/sha256': {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
          hash.update(c);
        });
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
        });
        return;
      }
      case '/stall':
        return; // never answers
      case '/drip':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk\n'); // then nothing until the client goes away
        return;
      default:
        res.statusCode = 404;
        res.end('upstream: not found');
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    notify(arrivals, url.pathname);
    req.socket.once('close', () => notify(closes, url.pathname));
    void handle(req, res, url).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    requestCount: () => [...hits.values()].reduce((a, b) => a + b, 0),
    nextRequest: (path) => wait(arrivals, path),
    nextClose: (path) => wait(closes, path),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
