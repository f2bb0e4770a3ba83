import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChildMessage, orphansOfServe } from './messages.js';
import { createRestartPolicy } from './restart-policy.js';
import { type ServingProcess, startSupervisor } from './supervisor.js';

/** Stands in for a child process: tests make it load, serve, exit or crash. */
class FakeChild extends EventEmitter implements ServingProcess {
  static nextPid = 100;
  readonly pid = FakeChild.nextPid++;
  readonly signals: NodeJS.Signals[] = [];
  toldToServe = false;
  /** The orphans of the serve message it got. */
  orphans: string[] | undefined;
  kill(signal: NodeJS.Signals) {
    this.signals.push(signal);
    return true;
  }
  send(message: unknown) {
    this.orphans = orphansOfServe(message);
    if (this.orphans) this.toldToServe = true;
    return true;
  }
  hasSessionsWith(ids: string[]) {
    this.emit('message', { type: ChildMessage.Clients, ids });
  }
  loaded() {
    this.emit('message', { type: ChildMessage.Loaded });
  }
  ready() {
    this.emit('message', { type: ChildMessage.Ready });
  }
  /** Loads, is told to serve, and serves. */
  serves() {
    this.loaded();
    expect(this.toldToServe).toBe(true);
    this.ready();
  }
  crash(signal: NodeJS.Signals = 'SIGSEGV') {
    this.emit('exit', null, signal);
  }
  exit(code: number) {
    this.emit('exit', code, null);
  }
}

function supervise() {
  const children: FakeChild[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const supervisor = startSupervisor({
    spawn: () => {
      const child = new FakeChild();
      children.push(child);
      return child;
    },
    logger,
    stopDeadlineMs: 1000,
  });
  let code: number | undefined;
  void supervisor.exited.then((c) => {
    code = c;
  });
  return { supervisor, children, lines, exitCode: () => code };
}

describe('supervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells the first child to serve once loaded, then keeps a loaded standby', () => {
    const { children } = supervise();
    expect(children).toHaveLength(1);
    expect(children[0]!.toldToServe).toBe(false);
    children[0]!.serves();
    expect(children).toHaveLength(2);
    children[1]!.loaded();
    expect(children[1]!.toldToServe).toBe(false);
  });

  it('hands over to the standby at once when the serving process crashes', async () => {
    const { supervisor, children, lines } = supervise();
    children[0]!.serves();
    expect(children[0]!.orphans).toEqual([]);
    children[1]!.loaded();
    children[0]!.hasSessionsWith(['phone-1', 'laptop-2']);
    children[0]!.hasSessionsWith(['phone-1']);
    children[0]!.crash('SIGSEGV');
    await vi.advanceTimersByTimeAsync(0);
    expect(children[1]!.toldToServe).toBe(true);
    // The crashed process's clients, for the new one to tell at once.
    expect(children[1]!.orphans).toEqual(['phone-1']);
    expect(supervisor.restarts).toBe(1);
    const crash = lines.find((l) => l.msg === 'serving process crashed');
    expect(crash).toMatchObject({ signal: 'SIGSEGV', wasReady: true, restartInMs: 0 });
    // Once the new one serves, a new standby is started.
    expect(children).toHaveLength(2);
    children[1]!.ready();
    expect(children).toHaveLength(3);
  });

  it('starts a new process when there is no standby yet, and backs off while none gets ready', async () => {
    const { children } = supervise();
    children[0]!.crash();
    await vi.advanceTimersByTimeAsync(249);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    children[1]!.loaded();
    expect(children[1]!.toldToServe).toBe(true);
    children[1]!.crash();
    await vi.advanceTimersByTimeAsync(499);
    expect(children).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(3);
    // Serving again: the next crash is replaced at once, by the standby once it has loaded.
    children[2]!.serves();
    children[2]!.crash();
    await vi.advanceTimersByTimeAsync(0);
    expect(children).toHaveLength(4);
    children[3]!.loaded();
    expect(children[3]!.toldToServe).toBe(true);
  });

  it('replaces a standby that dies, with a backoff', async () => {
    const { children, lines } = supervise();
    children[0]!.serves();
    children[1]!.crash('SIGKILL');
    expect(lines.find((l) => l.msg === 'standby process exited')).toMatchObject({
      signal: 'SIGKILL',
    });
    await vi.advanceTimersByTimeAsync(250);
    expect(children).toHaveLength(3);
    expect(children[2]!.toldToServe).toBe(false);
  });

  it('ends with the code of a serving process that exits by itself, without a restart', async () => {
    const { children, exitCode } = supervise();
    children[0]!.serves();
    children[0]!.exit(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(children).toHaveLength(2);
    expect(children[1]!.signals).toEqual(['SIGTERM']);
    expect(exitCode()).toBe(2);
  });

  it('passes a stop signal on and ends with the serving process', async () => {
    const { supervisor, children, exitCode } = supervise();
    children[0]!.serves();
    supervisor.stop('SIGTERM');
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    expect(children[1]!.signals).toEqual(['SIGTERM']);
    children[1]!.crash('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exitCode()).toBeUndefined();
    children[0]!.exit(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(exitCode()).toBe(0);
    expect(children).toHaveLength(2);
  });

  it('kills a serving process that does not stop in time', async () => {
    const { supervisor, children, exitCode } = supervise();
    supervisor.stop('SIGTERM');
    await vi.advanceTimersByTimeAsync(1000);
    expect(children[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    children[0]!.crash('SIGKILL');
    await vi.advanceTimersByTimeAsync(0);
    expect(exitCode()).toBe(1);
    expect(children).toHaveLength(1);
  });

  it('stops without a restart when a stop arrives while a restart is pending', async () => {
    const { supervisor, children, exitCode } = supervise();
    children[0]!.crash();
    supervisor.stop('SIGTERM');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(children).toHaveLength(1);
    expect(exitCode()).toBe(0);
  });

  it('ends with an error when a child cannot be started', async () => {
    const { children, exitCode } = supervise();
    children[0]!.emit('error', new Error('spawn EAGAIN'));
    await vi.advanceTimersByTimeAsync(0);
    expect(exitCode()).toBe(1);
  });
});

describe('restart policy', () => {
  it('restarts at once after a ready process and doubles up to the cap otherwise', () => {
    const policy = createRestartPolicy({ firstDelayMs: 100, maxDelayMs: 350 });
    expect([false, false, false, false].map((r) => policy.delayAfterCrash(r))).toEqual([
      100, 200, 350, 350,
    ]);
    expect(policy.delayAfterCrash(true)).toBe(0);
    expect(policy.delayAfterCrash(false)).toBe(100);
  });
});
