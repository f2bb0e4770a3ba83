/**
 * Starts the built signaling server (`signaling/dist/main.js`) as a child process for
 * integration tests and benchmarks. Build first (`npm run build`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandIn } from './internet/netns.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Path of the built server entry point. */
export const SIGNALING_MAIN = resolve(repoRoot, 'signaling', 'dist', 'main.js');
/** The ROOM_SECRET tests use unless they override it (tests may recompute room ids with it). */
export const TEST_ROOM_SECRET = 'test-room-secret-0123456789abcdef0123456789abcdef';
/** The PeerJS key the server uses unless PEER_KEY is overridden. */
export const TEST_PEER_KEY = 'peerfetch';

/**
 * Settings that lift the server's per-address and per-socket caps: for tests and benchmarks
 * whose many peers all come from 127.0.0.1, or that play a server relaying anything.
 */
export const UNLIMITED_SIGNALING = {
  WS_RATE_LIMIT: '1000000',
  NEW_IDS_PER_ADDRESS: '1000000',
  MAX_SOCKETS_PER_ADDRESS: '1000000',
  MESSAGES_PER_SECOND: '1000000',
  MESSAGE_BURST: '1000000',
};

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

export interface SignalingProcessOptions {
  /** Network namespace to run in (`ip netns exec`); the test's own by default. */
  netns?: string;
}

export interface StartedSignaling {
  /** Base URL, such as `http://127.0.0.1:41234` (no trailing slash); its host is `HOST`. */
  url: string;
  port: number;
  /** Sends SIGTERM and waits for the process to exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  process: ChildProcess;
  /** Every stdout log line so far, parsed (lines that are not JSON are kept as `{ raw }`). */
  logs: Record<string, unknown>[];
  /** Exit code once the process has exited (null while it runs or when killed by a signal). */
  exitCode(): number | null;
}

/**
 * Spawns the server with `PORT=0`, `HOST=127.0.0.1`, `NODE_ENV=test`, a fixed ROOM_SECRET and
 * PEER_KEY, `LOG_LEVEL=info`, `PUBLIC_METRICS=true`; `env` overrides any of these (and adds more). Resolves once the
 * server logs `{"msg":"listening","port":N}`; rejects with its stderr if it exits first or
 * does not listen within 15 s.
 */
export async function startSignaling(
  env: Record<string, string> = {},
  options: SignalingProcessOptions = {},
): Promise<StartedSignaling> {
  if (!existsSync(SIGNALING_MAIN)) {
    throw new Error(`${SIGNALING_MAIN} is missing: run \`npm run build\` first`);
  }
  const settings = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    ROOM_SECRET: TEST_ROOM_SECRET,
    PEER_KEY: TEST_PEER_KEY,
    LOG_LEVEL: 'info',
    // Tests read /metrics on the app port, which is off by default.
    PUBLIC_METRICS: 'true',
    ...env,
  };
  const child = spawn(...commandIn(options.netns, process.execPath, [SIGNALING_MAIN]), {
    env: settings,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`signaling did not listen within ${STARTUP_TIMEOUT_MS} ms\n${stderr}`));
    }, STARTUP_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = parseLine(line);
      logs.push(entry);
      if (entry.msg === 'listening' && typeof entry.port === 'number') {
        clearTimeout(timer);
        resolvePort(entry.port);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`signaling exited (code ${code}, signal ${signal}) before listening\n${stderr}`),
      );
    });
  });

  return {
    url: `http://${settings.HOST}:${port}`,
    port,
    process: child,
    logs,
    exitCode: () => child.exitCode,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(killTimer);
    },
  };
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : { raw: line };
  } catch {
    return { raw: line };
  }
}

export interface HttpOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** Sent as JSON (content-type application/json) unless it is already a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Source address to connect from: any 127.x.y.z works on Linux loopback. */
  localAddress?: string;
  /** Connection pool to use (keep-alive); default Node's global agent. */
  agent?: import('node:http').Agent;
}

export interface HttpResult {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP request with node:http (fetch cannot pick its source address), for tests that
 * need distinct client addresses or exact headers.
 */
export async function httpRequest(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const { request } = await import('node:http');
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (
    body !== undefined &&
    !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')
  ) {
    headers['content-type'] = 'application/json';
  }
  return new Promise((resolveResult, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        localAddress: options.localAddress,
        agent: options.agent,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolveResult({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The first message a PeerJS server sends a new socket: OPEN, or why it refused. */
export interface ServerMessage {
  type: string;
  payload?: { msg?: string };
}

export interface RawRegistration {
  /** The server's first message. */
  message: ServerMessage;
  socket: import('ws').WebSocket;
  /** Resolves with the close code once the socket has closed (at once when the server refused). */
  closed: Promise<number>;
  /** Messages after the first, as they arrive. */
  later: ServerMessage[];
}

export interface RawRegistrationOptions {
  port: number;
  id: string;
  token: string;
  key?: string;
  /** Sent as X-Forwarded-For (believed only with TRUST_PROXY). */
  forwardedFor?: string;
  localAddress?: string;
}

/** How long registerRaw waits for the server's first message. */
const RAW_REGISTRATION_TIMEOUT_MS = 5000;

/**
 * Registers an id over a bare PeerJS-protocol WebSocket, as any client could, and resolves
 * with the server's first message. Rejects when the upgrade itself is refused (HTTP status).
 */
export async function registerRaw(options: RawRegistrationOptions): Promise<RawRegistration> {
  const { WebSocket } = await import('ws');
  const query = new URLSearchParams({
    key: options.key ?? TEST_PEER_KEY,
    id: options.id,
    token: options.token,
  });
  const socket = new WebSocket(`ws://127.0.0.1:${options.port}/peerjs/peerjs?${query}`, {
    localAddress: options.localAddress,
    headers: options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {},
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const later: ServerMessage[] = [];
  const message = await new Promise<ServerMessage>((resolve, reject) => {
    let first = true;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no message from the server within ${RAW_REGISTRATION_TIMEOUT_MS} ms`));
    }, RAW_REGISTRATION_TIMEOUT_MS);
    socket.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as ServerMessage;
      clearTimeout(timer);
      if (first) resolve(parsed);
      else later.push(parsed);
      first = false;
    });
    socket.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('closed before any message'));
    });
  });
  return { message, socket, closed, later };
}

/** A counter or gauge from /metrics (0 when the labelled series does not exist yet). */
export async function metricValue(
  server: StartedSignaling,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = (await httpRequest(`${server.url}/metrics`)).text;
  const selector = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .join(',');
  const series = selector ? `${name}{${selector}}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
