/**
 * Thin wrappers over `ip netns`, `ip link`, `nft` and `sysctl` for building test networks.
 * Needs root (the integration tests run as root inside test/run-in-netns.sh). Namespaces made
 * here are brand-new ones joined only by the veth pairs the caller creates: none is linked
 * to the machine's own network.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** Where `ip netns add` keeps its namespaces. */
const NETNS_DIR = '/run/netns';

/** iproute2's `ip`, found even when PATH lacks the sbin folders. */
export const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';

/** PATH for the tools run inside namespaces (nft, sysctl, tc live in sbin). */
const TOOLS_PATH = [process.env.PATH, '/usr/sbin', '/sbin'].filter(Boolean).join(':');

/** Every namespace this module makes starts with this; the creator's pid follows. */
export const NETNS_PREFIX = 'pfnet-';

/** A failed network command, with what it printed. */
export class NetworkCommandError extends Error {
  override readonly name = 'NetworkCommandError';
}

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Killed after this long; default 10 s. */
  timeoutMs?: number;
}

/** Runs a command to the end and resolves with its stdout; rejects with its stderr on failure. */
export function run(file: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const timeout = options.timeoutMs ?? 10_000;
    const env = { ...process.env, PATH: TOOLS_PATH };
    const child = execFile(file, args, { timeout, env }, (error, stdout, stderr) => {
      if (error) {
        reject(new NetworkCommandError(`${file} ${args.join(' ')}: ${stderr || error.message}`));
      } else resolve(stdout);
    });
    child.stdin?.end(options.input);
  });
}

/** The command line that runs `file args` inside namespace `netns` (as is when undefined). */
export function commandIn(
  netns: string | undefined,
  file: string,
  args: string[],
): [string, string[]] {
  return netns ? [IP, ['netns', 'exec', netns, file, ...args]] : [file, args];
}

/** Runs a command inside a namespace. */
export function runIn(netns: string, file: string, args: string[], options?: RunOptions) {
  return run(...commandIn(netns, file, args), options);
}

/**
 * A fresh name prefix for one topology: pid (so stale ones can be found) and a random part
 * (so two topologies of one process never collide).
 */
export function newRunPrefix(): string {
  return `${NETNS_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}-`;
}

/** Creates a namespace with loopback up and IPv6 off (the topology is IPv4 only). */
export async function addNamespace(name: string): Promise<void> {
  await run(IP, ['netns', 'add', name]);
  await run(IP, ['-n', name, 'link', 'set', 'lo', 'up']);
  await sysctl(name, {
    'net.ipv6.conf.all.disable_ipv6': 1,
    'net.ipv6.conf.default.disable_ipv6': 1,
  });
}

/** Deletes a namespace (its interfaces go with it); a missing one is not an error. */
export async function deleteNamespace(name: string): Promise<void> {
  await run(IP, ['netns', 'delete', name]).catch((error: Error) => {
    if (!/No such file|not found|Invalid/.test(error.message)) throw error;
  });
}

/**
 * Deletes namespaces left by test processes that no longer run (an aborted run), after
 * killing what still runs inside them (the edge, coturn… that run started there).
 */
export async function sweepStaleNamespaces(): Promise<void> {
  const names = await readdir(NETNS_DIR).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(NETNS_PREFIX)) continue;
    const creator = Number(name.slice(NETNS_PREFIX.length).split('-')[0]);
    if (!(creator > 0) || (await processExists(creator))) continue;
    const pids = await run(IP, ['netns', 'pids', name]).catch(() => '');
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await deleteNamespace(name);
  }
}

async function processExists(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One end of a link: an interface name inside a namespace. */
export interface LinkEnd {
  netns: string;
  dev: string;
}

/** Creates a veth pair straight inside the two namespaces, so its names never clash elsewhere. */
export async function addVeth(a: LinkEnd, b: LinkEnd): Promise<void> {
  await run(IP, [
    'link',
    'add',
    a.dev,
    'netns',
    a.netns,
    'type',
    'veth',
    'peer',
    'name',
    b.dev,
    'netns',
    b.netns,
  ]);
}

/** Creates a bridge in `netns`, with an address if given, and brings it up. */
export async function addBridge(netns: string, dev: string, cidr?: string): Promise<void> {
  await run(IP, ['-n', netns, 'link', 'add', dev, 'type', 'bridge']);
  if (cidr) await run(IP, ['-n', netns, 'addr', 'replace', cidr, 'dev', dev]);
  await run(IP, ['-n', netns, 'link', 'set', dev, 'up']);
}

/** Puts `port` on `bridge` (both in `netns`) and brings it up. */
export async function attachToBridge(netns: string, port: string, bridge: string): Promise<void> {
  await run(IP, ['-n', netns, 'link', 'set', port, 'master', bridge]);
  await run(IP, ['-n', netns, 'link', 'set', port, 'up']);
}

/** Gives an interface an address and brings it up. */
export async function addressInterface(netns: string, dev: string, cidr: string): Promise<void> {
  await run(IP, ['-n', netns, 'addr', 'replace', cidr, 'dev', dev]);
  await run(IP, ['-n', netns, 'link', 'set', dev, 'up']);
}

/** Points the namespace's default route at `gateway` (inside the topology, never the host). */
export async function setDefaultRoute(netns: string, gateway: string): Promise<void> {
  await run(IP, ['-n', netns, 'route', 'replace', 'default', 'via', gateway]);
}

/** Sets sysctls inside a namespace (network sysctls are per namespace). */
export async function sysctl(netns: string, values: Record<string, string | number>) {
  const pairs = Object.entries(values).map(([key, value]) => `${key}=${value}`);
  await runIn(netns, 'sysctl', ['-q', '-w', ...pairs]);
}
