/**
 * `peerfetch-edge start` without `--no-supervise`: runs this same command again as serving
 * processes (with `--no-supervise` and an IPC channel) under supervisor/supervisor.ts, and
 * passes stop signals on. The children write their own logs to the same stdout.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../logger.js';
import { ChildMessage, orphansOfServe } from '../supervisor/messages.js';
import { startSupervisor } from '../supervisor/supervisor.js';

export async function runSupervised(logger: Logger): Promise<never> {
  const args = [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--no-supervise'];
  const supervisor = startSupervisor({
    spawn: () => spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    logger: logger.child({ module: 'supervisor' }),
  });
  process.on('SIGTERM', () => supervisor.stop('SIGTERM'));
  process.on('SIGINT', () => supervisor.stop('SIGINT'));
  process.exit(await supervisor.exited);
}

/**
 * In a child of the supervisor: runs `preload` (loading is most of a start), says so, and
 * resolves when told to serve. Leaves at once if the supervisor goes away (killed without
 * its children), so an orphan never holds the edge's id or control socket next to a new
 * agent. Resolves with the clients whose sessions died with the process this one replaces
 * (none without a supervisor, at once).
 */
export async function standBy(logger: Logger, preload: () => Promise<unknown>): Promise<string[]> {
  if (!process.send) return [];
  process.once('disconnect', () => {
    logger.warn('the supervisor is gone; exiting');
    process.exit(1);
  });
  try {
    await preload();
  } catch (error) {
    // Starting the edge loads it again and reports the error where it belongs.
    logger.warn({ err: (error as Error).message }, 'could not load ahead of serving');
  }
  const serve = new Promise<string[]>((resolve) => {
    const onMessage = (message: unknown) => {
      const orphans = orphansOfServe(message);
      if (!orphans) return;
      process.off('message', onMessage);
      resolve(orphans);
    };
    process.on('message', onMessage);
  });
  process.send({ type: ChildMessage.Loaded });
  return serve;
}

/** In a child of the supervisor: the clients it has sessions with now (see serveMessage). */
export function reportClients(ids: string[]): void {
  process.send?.({ type: ChildMessage.Clients, ids });
}

/** In a child of the supervisor: it serves from now on, so a crash is replaced at once. */
export function announceReady(): void {
  process.send?.({ type: ChildMessage.Ready });
}
