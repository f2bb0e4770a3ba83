/**
 * The edge as a Pi admin gets it: a release packed by edge/scripts/pack-release.sh and
 * installed by edge/scripts/install.sh (`npm ci --omit=dev`). What the tests download (npm
 * packages, a Debian root) is cached outside the repository, under TEST_CACHE, so only the
 * first run needs the network and later runs work offline inside the loopback namespace.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PACK_RELEASE = join(repoRoot, 'edge', 'scripts', 'pack-release.sh');
export const INSTALL_SH = join(repoRoot, 'edge', 'scripts', 'install.sh');

/** Downloads kept between runs: npm's cache, Node builds, Debian roots. */
export const TEST_CACHE = process.env.PEERFETCH_TEST_CACHE ?? '/var/cache/peerfetch-test';
/** npm's cache for every install the tests make (npm_config_cache). */
export const NPM_CACHE = join(TEST_CACHE, 'npm');

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Killed after this long; default 10 minutes (a cold download). */
  timeoutMs?: number;
}

/** Runs a command to the end; resolves with its stdout, rejects with both outputs. */
export function runCommand(file: string, args: string[], options: RunOptions = {}) {
  return new Promise<string>((resolvePromise, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...options.env },
      },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `${file} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}${stderr}`,
            ),
          );
        else resolvePromise(stdout);
      },
    );
  });
}

/**
 * The command line that runs `file args` with the machine's network. Inside
 * test/run-in-netns.sh the test has loopback only, so filling a cache from the npm registry
 * or Debian's mirror runs in the network namespace of the nearest ancestor outside it
 * (the shell that started the tests). Nothing the tests exchange with each other goes there.
 */
export function withNetwork(file: string, args: string[]): [string, string[]] {
  if (process.env.PEERFETCH_IN_NETNS !== '1') return [file, args];
  const own = readlinkSync('/proc/self/ns/net');
  for (let pid = process.ppid; pid > 1; pid = parentOf(pid)) {
    const ns = `/proc/${pid}/ns/net`;
    if (readlinkSync(ns) !== own) return ['nsenter', [`--net=${ns}`, '--', file, ...args]];
  }
  throw new Error('cannot reach the network from this namespace to fill the test cache');
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Packs the checkout's build (`npm run build` first) into `outDir`; resolves with the tarball. */
export async function packRelease(outDir: string): Promise<string> {
  return (await runCommand('bash', [PACK_RELEASE, outDir], { timeoutMs: 120_000 })).trim();
}

/**
 * Makes sure NPM_CACHE holds every package `npm ci` of this release needs for `cpu`, so
 * install.sh can run offline. Keyed by the release's lockfile: a new lockfile is fetched once.
 */
export async function warmNpmCache(release: string, cpu: 'arm64' | 'x64'): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'pf-release-'));
  try {
    await runCommand('tar', ['-C', scratch, '-xzf', release]);
    const [top] = await readdir(scratch);
    const dir = join(scratch, top!);
    const lock = await readFile(join(dir, 'package-lock.json'));
    const marker = join(
      NPM_CACHE,
      'warm',
      `${cpu}-${createHash('sha256').update(lock).digest('hex')}`,
    );
    if (existsSync(marker)) return;
    await mkdir(dirname(marker), { recursive: true });
    const npmArgs = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'];
    await runCommand(...withNetwork('npm', [...npmArgs, `--cpu=${cpu}`, '--os=linux']), {
      cwd: dir,
      env: { npm_config_cache: NPM_CACHE, HOME: process.env.HOME ?? '/root' },
    });
    await writeFile(marker, `${new Date().toISOString()}\n`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Environment that makes install.sh's `npm ci` use the warm cache and never the network. */
export const OFFLINE_NPM_ENV = { npm_config_cache: NPM_CACHE, npm_config_offline: 'true' };
