/**
 * The device API the benchmarks and edge-stack tests talk to: streams large bodies from one repeated 1 MiB
 * pattern (so a 1 GiB download costs no memory here) with backpressure, answers small
 * requests with exactly 128 bytes, and counts uploads.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PATTERN_SIZE = 1024 * 1024;

/** Byte `i` of every pattern body: a pattern a receiver can check without a copy. */
export const PATTERN = (() => {
  const out = new Uint8Array(PATTERN_SIZE);
  for (let i = 0; i < PATTERN_SIZE; i++) out[i] = (i * 31 + (i >>> 10)) & 0xff;
  return out;
})();

/** The 128-byte answer of `/small?i=N`: the number, padded, so a mixed-up answer shows. */
export function smallBody(i: number): string {
  return `${i}`.padEnd(128, '.');
}

export interface PatternUpstream {
  url: string;
  stop(): Promise<void>;
}

async function streamBytes(res: ServerResponse, total: number) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  let sent = 0;
  while (sent < total) {
    const n = Math.min(PATTERN_SIZE, total - sent);
    sent += n;
    if (!res.write(n === PATTERN_SIZE ? PATTERN : PATTERN.subarray(0, n))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
      if (res.destroyed) return;
    }
  }
  res.end();
}

function countUpload(req: IncomingMessage, res: ServerResponse) {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ bytes }));
  });
}

export async function listenPatternUpstream(): Promise<PatternUpstream> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    if (url.pathname === '/small') {
      res.setHeader('content-type', 'text/plain');
      res.end(smallBody(Number(url.searchParams.get('i') ?? 0)));
    } else if (url.pathname === '/bytes') {
      void streamBytes(res, Number(url.searchParams.get('n') ?? 0));
    } else if (url.pathname === '/upload') {
      countUpload(req, res);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * The upstream in a child process of its own, as a device's API is: it must not share an
 * event loop with the client whose latency is measured.
 */
export async function startPatternUpstream(): Promise<PatternUpstream> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('pattern upstream did not start')), 30_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    void exited.then(() => reject(new Error('pattern upstream exited before listening')));
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const upstream = await listenPatternUpstream();
  process.on('SIGTERM', () => void upstream.stop().then(() => process.exit(0)));
  console.log(upstream.url);
}
