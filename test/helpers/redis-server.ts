/**
 * A throwaway `redis-server` (Debian's) on a free loopback port, with no persistence, for the
 * multi-instance signaling tests and bench. It can be killed and started again on the same
 * port, empty, as a crashed Redis without persistence comes back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './free-port.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const STARTUP_TIMEOUT_MS = 10_000;

export interface StartedRedis {
  port: number;
  /** `redis://127.0.0.1:<port>`, for REDIS_URL. */
  url: string;
  /** Kills it at once (SIGKILL), as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty). */
  restart(): Promise<void>;
  /** Stops it (SIGTERM) and waits. */
  stop(): Promise<void>;
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${STARTUP_TIMEOUT_MS} ms\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready\n${output}`));
    });
  });
  // Keep reading so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

export async function startRedis(): Promise<StartedRedis> {
  const port = await freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => ended(child, 'SIGKILL'),
    async restart() {
      await ended(child, 'SIGKILL');
      child = await launch(port);
    },
    stop: () => ended(child, 'SIGTERM'),
  };
}
