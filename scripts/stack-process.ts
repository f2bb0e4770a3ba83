/**
 * One process of `npm start`'s stack, kept running: it is started again when it dies on its
 * own (a killed edge should not take the app down with it), and stopped on request.
 *
 * Each runs in a process group of its own, so a Ctrl-C at the terminal reaches only the
 * stack, which then stops them in order (the edge before the server it says goodbye to).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRestartPolicy } from '../edge/src/supervisor/restart-policy.js';

/** Lines of output kept to show why a process died. */
const RECENT_LINES = 20;
/** After SIGTERM, how long a process may take before it is killed: Ctrl-C must feel instant. */
const STOP_GRACE_MS = 1500;
/** A process that lived this long had started fine: its next crash restarts it at once. */
const HEALTHY_AFTER_MS = 10_000;

export interface StackProcessOptions {
  name: string;
  cwd: string;
  args: string[];
  env: Record<string, string>;
  /** Each JSON log line the process prints. */
  onLog(line: Record<string, unknown>): void;
  /** Anything else it prints, and what the stack says about it. */
  say(line: string): void;
}

export interface StackProcess {
  /** Stops it for good: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

export function keepRunning(options: StackProcessOptions): StackProcess {
  const { name, say } = options;
  const policy = createRestartPolicy({ firstDelayMs: 500, maxDelayMs: 10_000 });
  let child: ChildProcess;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;

  const start = () => {
    const startedAt = Date.now();
    const recent: string[] = [];
    const remember = (text: string) => {
      recent.push(text);
      if (recent.length > RECENT_LINES) recent.shift();
    };
    child = spawn(process.execPath, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      remember(text);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        say(`[${name}] ${text}`);
        return;
      }
      options.onLog(line);
    });
    createInterface({ input: child.stderr! }).on('line', (text) => {
      remember(text);
      say(`[${name}] ${text}`);
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      const delay = policy.delayAfterCrash(Date.now() - startedAt >= HEALTHY_AFTER_MS);
      say(`\n${name} stopped unexpectedly (${signal ?? `exit ${code}`}). Its last output:`);
      for (const text of recent) say(`  ${text}`);
      say(`Starting ${name} again${delay ? ` in ${(delay / 1000).toFixed(1)} s` : ''}.\n`);
      restartTimer = setTimeout(start, delay);
    });
  };
  start();

  return {
    stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const current = child;
      if (current.exitCode !== null || current.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // The whole group: the edge's supervisor has a serving process of its own.
        const kill = setTimeout(() => process.kill(-current.pid!, 'SIGKILL'), STOP_GRACE_MS);
        current.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        current.kill('SIGTERM');
      });
    },
  };
}
