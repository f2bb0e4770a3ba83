/**
 * A Debian bookworm container booted by systemd-nspawn with systemd as PID 1, for running
 * the edge's unit as shipped. The root is made once by debootstrap (from the mirror apt uses
 * here) and cached under TEST_CACHE; every boot writes to a tmpfs overlay
 * (`--volatile=overlay`), so the cached root stays clean. The container shares the test's
 * network namespace (no --private-network): 127.0.0.1 inside is the test's loopback.
 * Needs root.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, TEST_CACHE, withNetwork } from './release.js';

const SUITE = 'bookworm';
/** systemd to boot; libstdc++6 for Node (the host's /usr/bin/node is bound in). */
const INCLUDE = ['systemd', 'systemd-sysv', 'libstdc++6'];
/** Inside the root: npm from the host's Node installation, bound in at boot. */
const NPM_LINK = { path: 'usr/local/bin/npm', target: '/usr/lib/node_modules/npm/bin/npm-cli.js' };
const PATH_INSIDE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The Debian mirror apt uses on this machine (deb822 or one-line sources). */
export async function aptMirror(): Promise<string> {
  const files = ['/etc/apt/sources.list'].concat(
    (await readdir('/etc/apt/sources.list.d').catch(() => [])).map(
      (f) => `/etc/apt/sources.list.d/${f}`,
    ),
  );
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const match =
      text.match(/^URIs:\s*(\S*debian)\s*$(?=[\s\S]*?^Suites:.*\bbookworm\b)/m) ??
      text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S*debian)\/?\s+bookworm\b/m);
    if (match) return match[1]!;
  }
  throw new Error('no Debian bookworm mirror in /etc/apt/sources.list*');
}

/** The cached root, made by debootstrap on first use (about two minutes). */
export async function bookwormRoot(): Promise<string> {
  const mirror = await aptMirror();
  const recipe = JSON.stringify({ SUITE, INCLUDE, mirror, NPM_LINK });
  const key = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  const root = join(TEST_CACHE, 'nspawn', `${SUITE}-${key}`);
  if (existsSync(join(root, 'usr/lib/systemd/systemd'))) return root;
  const building = `${root}.building-${process.pid}`;
  await mkdir(join(TEST_CACHE, 'nspawn'), { recursive: true });
  try {
    await runCommand(
      ...withNetwork('debootstrap', [
        '--variant=minbase',
        `--include=${INCLUDE.join(',')}`,
        SUITE,
        building,
        mirror,
      ]),
      { env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }, timeoutMs: 1_200_000 },
    );
    await symlink(NPM_LINK.target, join(building, NPM_LINK.path));
    await rm(root, { recursive: true, force: true });
    await rename(building, root);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return root;
}

export interface Container {
  /** Runs a command inside as root (a clean environment); resolves with its stdout. */
  exec(args: string[], env?: Record<string, string>): Promise<string>;
  /** Like exec, but resolves with the exit code and output whatever the code. */
  tryExec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Powers the container off (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

export interface BootOptions {
  /** host path → path inside, read-only. */
  bindReadOnly?: Record<string, string>;
  /** host path → path inside, read-write. */
  bind?: Record<string, string>;
}

/**
 * Boots `root` and resolves once `systemctl is-system-running --wait` answers. The host's
 * Node (and npm) are bound in read-only, since bookworm's own is 18.
 */
export async function bootContainer(root: string, options: BootOptions = {}): Promise<Container> {
  const binds = ['--bind-ro=/usr/bin/node', '--bind-ro=/usr/lib/node_modules/npm'];
  for (const [from, to] of Object.entries(options.bindReadOnly ?? {}))
    binds.push(`--bind-ro=${from}:${to}`);
  for (const [from, to] of Object.entries(options.bind ?? {})) binds.push(`--bind=${from}:${to}`);
  const nspawn = spawn(
    'systemd-nspawn',
    ['--register=no', '--keep-unit', '--quiet', '--volatile=overlay', '--console=pipe'].concat([
      '-D',
      root,
      ...binds,
      '-b',
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  for (const stream of [nspawn.stdout!, nspawn.stderr!])
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  const exited = new Promise<void>((r) => nspawn.once('exit', () => r()));
  const init = await initPid(nspawn, () => output);
  const enter = (args: string[], env: Record<string, string> = {}): [string, string[]] => [
    'nsenter',
    ['-t', String(init), '-m', '-u', '-i', '-n', '-p', '--', 'env', '-i', `PATH=${PATH_INSIDE}`]
      .concat(Object.entries(env).map(([k, v]) => `${k}=${v}`))
      .concat(args),
  ];
  const container: Container = {
    exec: (args, env) => runCommand(...enter(args, env), { timeoutMs: 300_000 }),
    tryExec: (args) =>
      new Promise((resolvePromise) => {
        const [file, fileArgs] = enter(args);
        const child = spawn(file, fileArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
        });
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
        });
        child.once('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
      }),
    async stop() {
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) return;
      const killer = setTimeout(() => nspawn.kill('SIGKILL'), 30_000);
      // nspawn asks the container's systemd to power off on SIGTERM.
      nspawn.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    },
  };
  // Until systemd has set up its socket, systemctl cannot connect and prints nothing; just
  // before, while PID 1 is not systemd yet (a loaded machine), it says `offline`.
  let state = { code: -1, stdout: '', stderr: '' };
  const booting = () => ['', 'offline'].includes(state.stdout.trim());
  for (let tries = 0; tries < 120 && booting(); tries++) {
    if (tries > 0) await new Promise((r) => setTimeout(r, 500));
    state = await container.tryExec(['systemctl', 'is-system-running', '--wait']);
  }
  if (state.stdout.trim() !== 'running') {
    const failed = await container.tryExec(['systemctl', '--failed', '--no-pager']);
    await container.stop();
    throw new Error(
      `the container booted ${state.stdout.trim()} ${state.stderr}:\n${failed.stdout}\n${output}`,
    );
  }
  return container;
}

/** The host pid of the container's PID 1: nspawn's child once it runs systemd. */
async function initPid(nspawn: ChildProcess, output: () => string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited:\n${output()}`);
    const children = await readFile(
      `/proc/${nspawn.pid}/task/${nspawn.pid}/children`,
      'utf8',
    ).catch(() => '');
    for (const pid of children.trim().split(/\s+/).filter(Boolean)) {
      const exe = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (exe.trim() === 'systemd') return Number(pid);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  nspawn.kill('SIGKILL');
  throw new Error(`the container's systemd did not start within 60 s:\n${output()}`);
}
