/**
 * Debian's Caddy in front of the signaling server, running the Caddyfile operators are told
 * to use (deploy/Caddyfile) with only test settings around it: certificates from Caddy's own
 * CA instead of an ACME server (`local_certs`, the global form of `tls internal`), that CA
 * kept out of the machine's trust store, and all its files in a temp folder.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandIn } from './internet/netns.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Caddyfile operators are told to use. */
export const DEPLOY_CADDYFILE = join(repoRoot, 'deploy', 'Caddyfile');
const CADDY = '/usr/bin/caddy';
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface CaddyOptions {
  /** The site's host name: PEERFETCH_SITE in deploy/Caddyfile. */
  site: string;
  /** The signaling server's port on 127.0.0.1: PEERFETCH_SIGNALING_PORT. */
  upstreamPort: number;
  /** Network namespace to run in (`ip netns exec`); the test's own by default. */
  netns?: string;
}

export interface StartedCaddy {
  /** `https://<site>` (no trailing slash). */
  url: string;
  /** PEM file of the root of Caddy's local CA, which signed the site's certificate. */
  rootCertificate: string;
  /** Caddy's log so far, one JSON entry a line (kept raw). */
  log: string[];
  stop(): Promise<void>;
}

/**
 * Starts Caddy on ports 80 and 443 and resolves once it holds a certificate for the site
 * (Caddy issues it from its local CA at start). Rejects with its log if it exits first or
 * takes longer than 30 s.
 */
export async function startCaddy(options: CaddyOptions): Promise<StartedCaddy> {
  if (!existsSync(CADDY)) throw new Error(`${CADDY} is missing: apt-get install caddy`);
  const dir = await mkdtemp(join(tmpdir(), 'pf-caddy-'));
  const config = join(dir, 'Caddyfile');
  // Global options first, then the shipped site block as it is.
  await writeFile(
    config,
    [
      '{',
      '\tlocal_certs',
      // Without this Caddy, running as root, would add its CA to the machine's trust store.
      '\tskip_install_trust',
      '\tadmin off',
      '}',
      `import ${DEPLOY_CADDYFILE}`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    ...commandIn(options.netns, CADDY, ['run', '--adapter', 'caddyfile', '--config', config]),
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
        PEERFETCH_SITE: options.site,
        PEERFETCH_SIGNALING_PORT: String(options.upstreamPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log: string[] = [];
  const lines = [child.stdout!, child.stderr!].map((input) => createInterface({ input }));
  for (const reader of lines) reader.on('line', (line) => log.push(line));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await certificateFor(options.site, child, lines, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `https://${options.site}`,
    rootCertificate: join(dir, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt'),
    log,
    stop,
  };
}

/** Resolves once Caddy logs that it obtained the site's certificate; rejects if it exits first. */
function certificateFor(
  site: string,
  child: ChildProcess,
  lines: Interface[],
  log: string[],
): Promise<void> {
  return new Promise((resolveReady, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(
        new Error(`caddy got no certificate for ${site}: ${why}\n${log.slice(-20).join('\n')}`),
      );
    };
    const timer = setTimeout(
      () => fail(`none within ${STARTUP_TIMEOUT_MS} ms`),
      STARTUP_TIMEOUT_MS,
    );
    child.once('exit', (code) => fail(`it exited with code ${code}`));
    for (const reader of lines) {
      reader.on('line', (line) => {
        if (line.includes('certificate obtained successfully') && line.includes(site)) {
          clearTimeout(timer);
          resolveReady();
        }
      });
    }
  });
}
