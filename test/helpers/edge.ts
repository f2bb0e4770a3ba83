/**
 * Starts the built edge agent (`edge/dist/cli/edge.js start`) as a child process with a
 * temporary state directory, and runs the built `peerfetch-edge` and `peerfetch` CLIs.
 * In-process client sessions and pairing live in `pairing.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandIn } from './internet/netns.js';
import { TEST_PEER_KEY } from './signaling.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EDGE_MAIN = resolve(repoRoot, 'edge', 'dist', 'cli', 'edge.js');
export const CLIENT_MAIN = resolve(repoRoot, 'edge', 'dist', 'cli', 'client.js');

export type LogLine = Record<string, unknown>;

export interface EdgeOptions {
  signalingUrl: string;
  /** Reuse a state directory (to restart the same edge); a fresh temporary one by default. */
  stateDir?: string;
  routes?: Record<string, string>;
  /** The config file's YAML (routes with options, say); empty by default. */
  configYaml?: string;
  mediaDir?: string;
  name?: string;
  /** Extra environment (PEERFETCH_* settings). */
  env?: Record<string, string>;
  /** Wait for this log message before resolving; default `joined room`. Null waits for nothing. */
  readyMessage?: string | null;
  /**
   * Run the edge under its supervisor, as shipped. Default false: `process` is then the
   * serving process itself, whose memory and fds the tests measure.
   */
  supervised?: boolean;
  /** Network namespace to run in (`ip netns exec`); the test's own by default. */
  netns?: string;
  /** The command that runs Node, such as qemu-user with an arm64 node; this Node by default. */
  node?: string[];
  /** The edge CLI to start (an installed release); the checkout's build by default. */
  edgeMain?: string;
  /** How long to wait for each start log line; default 20 s (an emulated CPU needs more). */
  startTimeoutMs?: number;
}

export interface StartedEdge {
  peerId: string;
  stateDir: string;
  process: ChildProcess;
  /** False once the process has exited, by itself or by a signal. */
  running(): boolean;
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resident set size in bytes, from /proc. */
  rssBytes(): Promise<number>;
  /** SIGTERM; resolves with the exit code and how long the exit took. */
  stop(): Promise<{ code: number | null; ms: number }>;
  /** SIGKILL, for restarts that must not say goodbye. */
  kill(): Promise<void>;
}

/**
 * The edge's next log line, at or after `since` (ms since the epoch), saying a session ended
 * by a goodbye: `session closed` with no `reason`. A peer gone silent is noticed only when
 * its pings go unanswered (15 s) and is logged with its reason, so it never matches; nor does
 * another session that happens to time out meanwhile.
 */
export function nextGoodbye(edge: StartedEdge, since: number, timeoutMs = 5_000) {
  return edge.waitForLog(
    (line) => Number(line.time) >= since && line.msg === 'session closed' && !('reason' in line),
    timeoutMs,
  );
}

/**
 * The edge's next log line, at or after `since`, saying a session ended in any way: by a
 * goodbye, by its channel closing, or with an error.
 */
export function nextSessionEnd(edge: StartedEdge, since: number, timeoutMs = 5_000) {
  return edge.waitForLog(
    (line) =>
      Number(line.time) >= since &&
      (line.msg === 'session closed' || line.msg === 'session ended with an error'),
    timeoutMs,
  );
}

/** Removes a state directory made by startEdge. */
export async function removeStateDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function makeStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pf-edge-'));
}

export async function startEdge(options: EdgeOptions): Promise<StartedEdge> {
  const edgeMain = options.edgeMain ?? EDGE_MAIN;
  if (!existsSync(edgeMain)) throw new Error(`${edgeMain} is missing: run \`npm run build\` first`);
  const stateDir = options.stateDir ?? (await makeStateDir());
  // An empty config file, so a real /etc/peerfetch/edge.yaml on this machine plays no part.
  const configFile = join(stateDir, 'test-edge.yaml');
  await writeFile(configFile, options.configYaml ?? '');
  const [node, ...nodeArgs] = options.node ?? [process.execPath];
  const args = [...nodeArgs, edgeMain, 'start', '--config', configFile];
  args.push('--signaling', options.signalingUrl);
  args.push('--state-dir', stateDir);
  args.push('--name', options.name ?? 'Test Edge');
  for (const [prefix, url] of Object.entries(options.routes ?? {}))
    args.push('--route', `${prefix}=${url}`);
  if (options.mediaDir) args.push('--media-dir', options.mediaDir);
  if (!options.supervised) args.push('--no-supervise');
  const child = spawn(...commandIn(options.netns, node!, args), {
    env: {
      PATH: process.env.PATH ?? '',
      PEERFETCH_SIGNALING_KEY: TEST_PEER_KEY,
      PEERFETCH_LOG_LEVEL: 'debug',
      // Any free port: tests run many edges at once in one network namespace.
      PEERFETCH_OPS_LISTEN: '127.0.0.1:0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const watchers = new Set<(line: LogLine) => void>();
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    stderr += c;
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { raw: text };
    }
    logs.push(line);
    for (const watcher of watchers) watcher(line);
  });
  let exitSignal: NodeJS.Signals | null = null;
  let stopping = false;
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code, signal) => {
      exitSignal = signal;
      // A crash is easy to miss behind the failures it causes: say so where it happens.
      if (!stopping && signal) {
        console.error(
          `[edge helper] edge ${child.pid} died of ${signal}\nstderr: ${stderr}\nlast logs:\n${logs
            .slice(-10)
            .map((l) => JSON.stringify(l))
            .join('\n')}`,
        );
      }
      r(code);
    }),
  );

  function waitForLog(match: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const past = logs.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(
          new Error(
            `edge did not log the expected line within ${timeoutMs} ms\nstderr: ${stderr}\nlast logs: ${JSON.stringify(logs.slice(-8))}`,
          ),
        );
      }, timeoutMs);
      const watcher = (line: LogLine) => {
        if (!match(line)) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolvePromise(line);
      };
      watchers.add(watcher);
      void exited.then((code) => {
        if (!watchers.has(watcher)) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        reject(
          new Error(
            `edge exited (code ${code}, signal ${exitSignal}) before logging the expected line\nstderr: ${stderr}\nlast logs: ${JSON.stringify(logs.slice(-6))}`,
          ),
        );
      });
    });
  }

  const running = () => child.exitCode === null && child.signalCode === null;
  const started = await waitForLog((l) => l.msg === 'edge started', options.startTimeoutMs);
  const ready = options.readyMessage === undefined ? 'joined room' : options.readyMessage;
  if (ready) await waitForLog((l) => l.msg === ready, options.startTimeoutMs);
  return {
    peerId: String(started.peerId),
    stateDir,
    process: child,
    running,
    logs,
    stderr: () => stderr,
    waitForLog,
    async rssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
      return kb * 1024;
    },
    async stop() {
      if (!running()) return { code: child.exitCode, ms: 0 };
      stopping = true;
      const t0 = Date.now();
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(killTimer);
      return { code, ms: Date.now() - t0 };
    },
    async kill() {
      if (!running()) return;
      stopping = true;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface ClientCliOptions {
  /** XDG_CONFIG_HOME of the client: where its pairings live (never the real ~/.config). */
  configHome: string;
  timeoutMs?: number;
  /** Network namespace to run in (`ip netns exec`); the test's own by default. */
  netns?: string;
}

/** Starts the built `peerfetch` client CLI with `args`; `result` settles when it exits (bounded by `timeoutMs`, default 30 s). */
export function startClientCli(
  args: string[],
  options: ClientCliOptions,
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(...commandIn(options.netns, process.execPath, [CLIENT_MAIN, ...args]), {
    env: {
      PATH: process.env.PATH ?? '',
      PEERFETCH_SIGNALING_KEY: TEST_PEER_KEY,
      XDG_CONFIG_HOME: options.configHome,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, result: outputOf(child, options.timeoutMs ?? 30_000) };
}

/** Runs the built `peerfetch` client CLI with `args` to the end (see startClientCli). */
export function runClientCli(args: string[], options: ClientCliOptions): Promise<CliResult> {
  return startClientCli(args, options).result;
}

/** Runs the built `peerfetch-edge` CLI (`pair`, `clients`, `unpair`, `status`…) against an edge. */
export function runEdgeCli(edge: StartedEdge, args: string[]): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    [
      EDGE_MAIN,
      ...args,
      '--state-dir',
      edge.stateDir,
      '--config',
      join(edge.stateDir, 'test-edge.yaml'),
    ],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return outputOf(child, 30_000);
}

/** A CLI run's exit code and output, whatever the code; killed after `timeoutMs`. */
function outputOf(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolvePromise) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}
