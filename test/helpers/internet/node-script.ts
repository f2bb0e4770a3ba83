/**
 * Small Node programs (`node -e`) run inside a host of the box: the servers and clients of
 * the probes that check the box itself.
 */
import type { ChildProcess } from 'node:child_process';
import type { HostName, Internet } from './internet.js';

/**
 * Starts `script` in `host` and resolves once it prints its first line (it listens then);
 * the caller kills it.
 */
export async function startScript(
  internet: Internet,
  host: HostName,
  script: string,
): Promise<ChildProcess> {
  const child = internet.spawn(host, process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`a script in ${host} exited (${code})`)));
  });
  return child;
}

/** Runs `script` with `args` in `host` to the end and resolves with what it printed. */
export function runScript(
  internet: Internet,
  host: HostName,
  script: string,
  args: string[],
  timeoutMs: number,
): Promise<string> {
  return internet.exec(host, process.execPath, ['-e', script, ...args], { timeoutMs });
}
