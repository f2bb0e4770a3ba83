/**
 * The test's handle on a phone-driver.ts process inside the box's phone host: one long-lived
 * PeerFetch session that the test drives with fetch / path / close.
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_PEER_KEY } from '../signaling.js';
import type { IcePath } from './ice-path.js';
import type { Internet } from './internet.js';
import type { PhoneAnswer, PhoneCommand } from './phone-driver.js';

/** A command without its id (Omit over each member of the union). */
type Command = PhoneCommand extends infer C ? (C extends unknown ? Omit<C, 'id'> : never) : never;

const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'phone-driver.ts');
/** Registering, /ice, ICE (TURN included) and authentication; the client's own limit is 20 s. */
const READY_TIMEOUT_MS = 30_000;

export interface FetchResult {
  status: number;
  bytes: number;
  sha256: string;
  ms: number;
}

export interface PhoneSession {
  /** The peer the driver's session is with (the edge, for phone-driver.ts). */
  deviceId: string;
  /** Time from process start to an authenticated session, ms (tsx start-up included). */
  connectMs: number;
  fetch(path: string, timeoutMs?: number): Promise<FetchResult>;
  /** GETs `path` `count` times in a row: each one's ms to its last byte, and all their bytes. */
  time(path: string, count: number, timeoutMs?: number): Promise<{ ms: number[]; bytes: number }>;
  /** Any command the driver knows (another driver's own ops); resolves with its answer. */
  request(command: DriverCommand, timeoutMs: number): Promise<Record<string, unknown>>;
  /** The selected candidate pair, from the phone's RTCPeerConnection.getStats(). */
  path(): Promise<IcePath>;
  /** Ends the session and the process. */
  close(): Promise<void>;
  process: ChildProcess;
}

/** A command of a driver's own, without its id. */
export type DriverCommand = { op: string } & Record<string, unknown>;

/**
 * Another program for the phone host that speaks phone-driver.ts's JSON lines (the ready
 * event, ids, errors, `path` and `close`) with ops of its own: a benchmark's baseline client.
 */
export interface PhoneDriverScript {
  path: string;
  args: string[];
}

/** Starts the driver in the phone host with the pairings stored in `configHome`. */
export async function startPhoneSession(
  internet: Internet,
  configHome: string,
  driver: PhoneDriverScript = { path: DRIVER, args: [] },
): Promise<PhoneSession> {
  const args = ['--import', 'tsx', driver.path, ...driver.args];
  const child = internet.spawn('phone', process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? '',
      XDG_CONFIG_HOME: configHome,
      PEERFETCH_SIGNALING_KEY: TEST_PEER_KEY,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    stderr += c;
  });
  const pending = new Map<number, (answer: PhoneAnswer) => void>();
  let onEvent: (event: Record<string, unknown>) => void = () => {};
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    if (typeof line.id === 'number') pending.get(line.id)?.(line as PhoneAnswer);
    else onEvent(line);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`phone not ready in time:\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    onEvent = (event) => {
      clearTimeout(timer);
      if (event.event === 'ready') resolve(event);
      else reject(new Error(`phone could not connect: ${String(event.error)}\n${stderr}`));
    };
    void exited.then(() => reject(new Error(`phone exited before it was ready:\n${stderr}`)));
  }).catch((error: Error) => {
    kill();
    throw error;
  });

  let nextId = 1;
  const send = (command: Command | DriverCommand, timeoutMs: number) => {
    const id = nextId++;
    return new Promise<PhoneAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`phone did not answer ${JSON.stringify(command)} in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (result) => {
        clearTimeout(timer);
        pending.delete(id);
        if ('error' in result) reject(new Error(`phone: ${result.error}`));
        else resolve(result);
      });
      child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  };

  return {
    deviceId: String(ready.deviceId),
    connectMs: Number(ready.ms),
    process: child,
    fetch: (path, timeoutMs = 60_000) =>
      send({ op: 'fetch', path }, timeoutMs) as Promise<FetchResult & PhoneAnswer>,
    time: (path, count, timeoutMs = 60_000) =>
      send({ op: 'time', path, count }, timeoutMs) as Promise<{ ms: number[]; bytes: number }>,
    request: (command, timeoutMs) => send(command, timeoutMs),
    path: async () => ((await send({ op: 'path' }, 5_000)) as { path: IcePath }).path,
    async close() {
      await send({ op: 'close' }, 10_000).catch(() => {});
      const timer = setTimeout(kill, 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
