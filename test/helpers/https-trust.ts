/**
 * What a public HTTPS site has for free, made for a test's namespaces: a host name that
 * resolves (DNS) and a certificate that verifies (a public CA). The name goes into a hosts
 * file that `ip netns exec` mounts over /etc/hosts for every process it starts in that
 * namespace (ip-netns(8): /etc/netns/NAME/); the CA goes into a fresh NSS database, where
 * Chromium on Linux reads the CAs its user trusts, so the chain is verified for real.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NETNS_PREFIX } from './internet/netns.js';

const run = promisify(execFile);
/** Per-namespace files `ip netns exec` mounts over those in /etc. */
const NETNS_ETC = '/etc/netns';
const NETNS_DIR = '/run/netns';
/** certutil, from Debian's libnss3-tools. */
const CERTUTIL = '/usr/bin/certutil';

/**
 * Makes `name` resolve to `address` for processes started in `netns` from now on (by
 * `ip netns exec`). Resolves with the function that removes it again.
 */
export async function resolveNameIn(
  netns: string,
  name: string,
  address: string,
): Promise<() => Promise<void>> {
  await sweepStaleHostFiles();
  const dir = join(NETNS_ETC, netns);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'hosts'), `127.0.0.1 localhost\n${address} ${name}\n`);
  return async () => {
    await rm(dir, { recursive: true, force: true });
    // /etc/netns itself goes too once no box uses it (rmdir refuses while it is not empty).
    await rmdir(NETNS_ETC).catch(() => {});
  };
}

/** Removes the files of namespaces that an aborted run left behind (their namespace is gone). */
async function sweepStaleHostFiles(): Promise<void> {
  const names = await readdir(NETNS_ETC).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(NETNS_PREFIX) && !existsSync(join(NETNS_DIR, name))) {
      await rm(join(NETNS_ETC, name), { recursive: true, force: true });
    }
  }
}

export interface TrustingHome {
  /** A HOME whose NSS database (~/.pki/nssdb) trusts the CA: give it to Chromium. */
  home: string;
  remove(): Promise<void>;
}

/** A fresh HOME whose NSS database trusts `rootCertificate` (PEM) to identify web sites. */
export async function homeTrustingCa(rootCertificate: string): Promise<TrustingHome> {
  if (!existsSync(CERTUTIL))
    throw new Error(`${CERTUTIL} is missing: apt-get install libnss3-tools`);
  const home = await mkdtemp(join(tmpdir(), 'pf-nss-home-'));
  const remove = () => rm(home, { recursive: true, force: true });
  try {
    const db = `sql:${join(home, '.pki', 'nssdb')}`;
    await mkdir(join(home, '.pki', 'nssdb'), { recursive: true });
    await run(CERTUTIL, ['-N', '-d', db, '--empty-password']);
    // "C,,": a CA trusted to issue server certificates; nothing else.
    await run(CERTUTIL, ['-A', '-d', db, '-n', 'test CA', '-t', 'C,,', '-i', rootCertificate]);
    return { home, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
