/**
 * coturn (Debian's `turnserver`) on the box's server host, started from the configuration the
 * project ships (deploy/turnserver.conf) with only test settings added on the
 * command line: the secret, the realm, the box's address, no TLS, files in a temp folder.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Internet } from './internet.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The coturn configuration operators are told to use. */
export const COTURN_CONFIG = join(repoRoot, 'deploy', 'turnserver.conf');
export const TURN_PORT = 3478;
const TURNSERVER = '/usr/bin/turnserver';
const STARTUP_TIMEOUT_MS = 10_000;

export interface StartedCoturn {
  /** `stun:` and `turn:` URLs for the signaling server's STUN_URLS and TURN_URLS. */
  stunUrl: string;
  turnUrl: string;
  /** static-auth-secret, for the signaling server's TURN_SECRET. */
  secret: string;
  realm: string;
  /** coturn's log so far, one entry a line. */
  log: string[];
  /** The allocations coturn granted so far. */
  allocations(): TurnAllocation[];
  /** Peer addresses coturn refused to relay to (`denied-peer-ip`), in order. */
  deniedPeers(): string[];
  stop(): Promise<void>;
}

export interface TurnAllocation {
  session: string;
  /** `<expiry>:<peer id>`, from the signaling server's /ice. */
  username: string;
  /** Bytes relayed between the allocation and its peers, both ways, as logged so far. */
  peerBytes: number;
}

/** Starts coturn in the box's server host and resolves once it listens. */
export async function startCoturn(internet: Internet): Promise<StartedCoturn> {
  if (!existsSync(TURNSERVER)) throw new Error(`${TURNSERVER} is missing: apt-get install coturn`);
  const dir = await mkdtemp(join(tmpdir(), 'pf-coturn-'));
  const address = internet.plan.server;
  const secret = randomBytes(24).toString('hex');
  const realm = 'peerfetch.test';
  const child = internet.spawn(
    'server',
    TURNSERVER,
    [
      '-c',
      COTURN_CONFIG,
      `--static-auth-secret=${secret}`,
      `--realm=${realm}`,
      `--listening-ip=${address}`,
      `--relay-ip=${address}`,
      // No certificate here; TLS is the one listener the tests do not cover.
      '--no-tls',
      '--no-dtls',
      // Verbose: allocations, permissions and traffic per session, which the tests check.
      '--verbose',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => log.push(line));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForListener(child, log, address);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    stunUrl: `stun:${address}:${TURN_PORT}`,
    turnUrl: `turn:${address}:${TURN_PORT}?transport=udp`,
    secret,
    realm,
    log,
    allocations: () => allocationsIn(log),
    deniedPeers: () => deniedPeersIn(log),
    stop,
  };
}

/** Resolves once coturn says its UDP listener on `address` is open. */
function waitForListener(child: ChildProcess, log: string[], address: string): Promise<void> {
  const ready = () =>
    log.some((l) => l.includes(`UDP listener opened on: ${address}:${TURN_PORT}`));
  return new Promise((resolveReady, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (ready()) {
        clearInterval(timer);
        resolveReady();
      } else if (child.exitCode !== null || Date.now() - started > STARTUP_TIMEOUT_MS) {
        clearInterval(timer);
        reject(new Error(`coturn did not start listening:\n${log.slice(-20).join('\n')}`));
      }
    }, 50);
  });
}

/**
 * Successful allocations in coturn's verbose log, with their peer traffic: coturn logs what
 * each allocation relayed since its previous report, about once a second while it carries
 * traffic, and once more when it closes.
 */
function allocationsIn(log: string[]): TurnAllocation[] {
  const allocations = new Map<string, TurnAllocation>();
  for (const line of log) {
    const granted =
      /session (\d+): realm <[^>]*> user <([^>]*)>: incoming packet ALLOCATE processed, success/.exec(
        line,
      );
    if (granted) {
      allocations.set(granted[1]!, { session: granted[1]!, username: granted[2]!, peerBytes: 0 });
    }
    const usage = /session (\d+): peer usage: .*rb=(\d+), sp=\d+, sb=(\d+)/.exec(line);
    const allocation = usage && allocations.get(usage[1]!);
    if (allocation) allocation.peerBytes += Number(usage[2]) + Number(usage[3]);
  }
  return [...allocations.values()];
}

/** "ERROR: A peer IP 192.168.1.10 denied in the range: …" */
function deniedPeersIn(log: string[]): string[] {
  return log.flatMap((line) => /A peer IP (\S+) denied in the range/.exec(line)?.[1] ?? []);
}
