/**
 * Keeps a serving edge process running. @roamhq/wrtc can crash the process that holds a
 * peer connection (SIGSEGV in RTCDataChannel::Send when a client closes abruptly
 * mid-download, docs/SECURITY.md), and nothing in JavaScript can prevent it. So the agent
 * serves from a child process, and this one, which never loads WebRTC, replaces a child
 * that dies of a signal at once. Identity, pairings and tokens live on disk, so the new
 * child registers under the same id and paired phones reconnect by themselves.
 *
 * Loading the edge's code takes most of a start (seconds on a busy Raspberry Pi), so a
 * second child waits loaded, as a standby (messages.ts), and takes over when the serving one
 * crashes; a new standby is started once it serves.
 *
 * A serving child that exits by itself (a configuration error, a fatal JavaScript error, a
 * clean stop) ends the supervisor with the same code: restarting would repeat it, and
 * systemd decides what happens next.
 */
import type { Logger } from '../logger.js';
import { ChildMessage, childMessage, serveMessage } from './messages.js';
import { createRestartPolicy, type RestartPolicy } from './restart-policy.js';

/** The part of a ChildProcess the supervisor uses. */
export interface ServingProcess {
  readonly pid?: number;
  kill(signal: NodeJS.Signals): boolean;
  send(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  once(
    event: 'exit',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): unknown;
}

export interface SupervisorOptions {
  /** Starts a child: the edge with `--no-supervise`, with an IPC channel. */
  spawn(): ServingProcess;
  logger: Logger;
  /** Default: createRestartPolicy(). */
  policy?: RestartPolicy;
  /**
   * After passing a stop signal on, how long the serving process has to exit before it is
   * killed, ms. Default 8000: its own shutdown deadline is 4 s, systemd's stop timeout 10 s.
   */
  stopDeadlineMs?: number;
}

export interface Supervisor {
  /** Passes a stop signal to the children; `exited` resolves once the serving one is gone. */
  stop(signal: NodeJS.Signals): void;
  /** The code the supervisor should exit with. */
  readonly exited: Promise<number>;
  /** How many times a crashed serving process was replaced. */
  readonly restarts: number;
}

interface Child {
  process: ServingProcess;
  startedAt: number;
  loaded: boolean;
  /** Told to serve (it is `active`). */
  serving: boolean;
  /** Said it serves. */
  ready: boolean;
  /** Clients it last said it has sessions with. */
  clients: string[];
  /** Clients of the process it replaces, passed on when it is told to serve. */
  orphans: string[];
}

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { logger } = options;
  const policy = options.policy ?? createRestartPolicy();
  let active: Child | undefined;
  let standby: Child | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let standbyTimer: ReturnType<typeof setTimeout> | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let restarts = 0;
  let finish!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    finish = (code) => {
      clearTimeout(restartTimer);
      clearTimeout(standbyTimer);
      clearTimeout(killTimer);
      standby?.process.kill('SIGTERM');
      resolve(code);
    };
  });

  function spawnChild(): Child {
    const child: Child = {
      process: options.spawn(),
      startedAt: Date.now(),
      loaded: false,
      serving: false,
      ready: false,
      clients: [],
      orphans: [],
    };
    child.process.on('message', (raw) => {
      const message = childMessage(raw);
      if (message?.type === ChildMessage.Loaded) {
        child.loaded = true;
        if (child.serving) child.process.send(serveMessage(child.orphans));
      } else if (message?.type === ChildMessage.Ready && child.serving) {
        child.ready = true;
        if (!standby && !stopSignal) standby = spawnChild();
      } else if (message?.type === ChildMessage.Clients) {
        child.clients = message.ids;
      }
    });
    child.process.once('error', (error) => {
      // The process could not be started (out of memory or processes, say).
      logger.fatal({ err: error.message }, 'cannot start a serving process');
      finish(1);
    });
    child.process.once('exit', (code, signal) => onExit(child, code, signal));
    return child;
  }

  function serve(child: Child, orphans: string[] = []) {
    restartTimer = undefined;
    active = child;
    child.serving = true;
    child.orphans = orphans;
    if (child.loaded) child.process.send(serveMessage(orphans));
    logger.info({ pid: child.process.pid, standby: child.loaded }, 'serving process started');
  }

  function onExit(child: Child, code: number | null, signal: NodeJS.Signals | null) {
    if (child === standby) {
      standby = undefined;
      if (stopSignal) return;
      // Replaced with a backoff, so a standby that cannot start does not spin.
      const delay = policy.delayAfterCrash(false);
      logger.warn({ code, signal, restartInMs: delay }, 'standby process exited');
      standbyTimer = setTimeout(() => {
        if (!standby && !stopSignal) standby = spawnChild();
      }, delay);
      return;
    }
    if (child !== active) return;
    active = undefined;
    if (stopSignal) {
      finish(code ?? (signal === stopSignal ? 0 : 1));
      return;
    }
    if (signal === null) {
      logger.warn({ code }, 'serving process exited');
      finish(code ?? 1);
      return;
    }
    const delay = policy.delayAfterCrash(child.ready);
    restarts++;
    logger.error(
      {
        signal,
        pid: child.process.pid,
        uptimeMs: Date.now() - child.startedAt,
        wasReady: child.ready,
        restartInMs: delay,
        restarts,
      },
      'serving process crashed',
    );
    restartTimer = setTimeout(() => {
      const next = standby ?? spawnChild();
      standby = undefined;
      serve(next, child.clients);
    }, delay);
  }

  serve(spawnChild());
  return {
    stop(signal) {
      if (stopSignal) return;
      stopSignal = signal;
      clearTimeout(restartTimer);
      clearTimeout(standbyTimer);
      standby?.process.kill(signal);
      const serving = active;
      if (!serving) {
        finish(0);
        return;
      }
      serving.process.kill(signal);
      killTimer = setTimeout(() => serving.process.kill('SIGKILL'), options.stopDeadlineMs ?? 8000);
    },
    exited,
    get restarts() {
      return restarts;
    },
  };
}
