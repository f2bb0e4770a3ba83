/**
 * A real third-party HTTP server for fidelity tests: Debian's python3-httpbin under gunicorn,
 * started by the test inside its own network namespace and stopped by it. Nothing here was
 * written for PeerFetch, so what it sends (redirects, cookies, gzip, drips) is what real
 * servers send.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const GUNICORN = '/usr/bin/gunicorn';

export interface StartedHttpbin {
  /** `http://127.0.0.1:{port}`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Gunicorn's line naming the port it bound (`-b 127.0.0.1:0` picks a free one). */
const LISTENING = /Listening at: http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts httpbin on a free loopback port. Threaded workers, so a slow endpoint (/drip)
 * does not hold up the others.
 */
export async function startHttpbin(timeoutMs = 20_000): Promise<StartedHttpbin> {
  if (!existsSync(GUNICORN)) {
    throw new Error(
      `${GUNICORN} is missing: install the Debian packages gunicorn and python3-httpbin`,
    );
  }
  const child = spawn(
    GUNICORN,
    ['-b', '127.0.0.1:0', '--threads', '8', '--graceful-timeout', '1', 'httpbin:app'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
  );
  const port = await listeningPort(child, timeoutMs);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => stopProcess(child),
  };
}

function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`httpbin did not start: ${why}\n${log}`));
    };
    const timer = setTimeout(() => fail(`no port within ${timeoutMs} ms`), timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const match = LISTENING.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code})`));
  });
}

/** SIGTERM, then SIGKILL if gunicorn has not exited within 5 s. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
