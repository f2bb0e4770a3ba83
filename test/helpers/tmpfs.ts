/**
 * A small tmpfs that only one process's mount namespace sees (`unshare -m`), for full-disk
 * tests: the test reaches it through /proc/<pid>/root of the holder, and a process can run
 * inside the namespace (`enter`) to see it at its own path. Needs root.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface HeldTmpfs {
  holder: ChildProcess;
  /** `dir` as seen through the holder's namespace: where the tiny disk is. */
  path: string;
  /**
   * A command prefix running a program in the namespace, where the disk is at `dir` itself:
   * for code that resolves real paths, which /proc/<pid>/root would lead out of the disk.
   */
  enter: string[];
  release(): void;
}

/** Mounts a tmpfs of `bytes` on `dir` in a new mount namespace; resolves once mounted. */
export function holdTmpfs(dir: string, bytes: number): Promise<HeldTmpfs> {
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=${bytes},mode=0700 pf-full-disk "$0" && echo mounted && exec sleep 100000`,
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.stdout!.once('data', () =>
      resolve({
        holder: child,
        path: `/proc/${child.pid}/root${dir}`,
        enter: ['nsenter', `--mount=/proc/${child.pid}/ns/mnt`, '--'],
        release: () => child.kill('SIGKILL'),
      }),
    );
    child.once('exit', (code) => reject(new Error(`unshare/mount failed (${code}): ${stderr}`)));
  });
}
