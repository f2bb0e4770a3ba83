/**
 * The systemd unit passes `systemd-analyze verify`, and the install script lays files out.
 * The unit under a real systemd is edge-systemd-boot.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = 'edge/systemd/peerfetch-edge.service';
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

describe('systemd unit', () => {
  it.skipIf(!analyze)(
    'passes systemd-analyze verify (skipped only when systemd-analyze is absent)',
    async () => {
      const { stderr } = await run(analyze!, ['verify', UNIT]);
      expect(stderr.trim()).toBe('');
    },
  );

  it('sandboxes the service and restarts it on failure', async () => {
    const unit = await readFile(UNIT, 'utf8');
    for (const line of [
      'Restart=on-failure',
      'RestartPreventExitStatus=2',
      'DynamicUser=yes',
      'StateDirectory=peerfetch-edge',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
    ]) {
      expect(unit).toContain(line);
    }
  });
});

describe('install.sh', () => {
  it('installs the agent, a config and the unit under a destdir', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'pf-install-'));
    try {
      const media = await mkdtemp(join(tmpdir(), 'pf-install-media-'));
      const { stdout } = await run('bash', [
        'edge/scripts/install.sh',
        '--destdir',
        dest,
        '--skip-npm',
        '--signaling',
        'https://signal.example.org',
        '--name',
        'Kitchen Pi',
        '--media-dir',
        media,
      ]);
      expect(stdout).toContain('Installed');
      expect(existsSync(join(dest, 'opt/peerfetch/edge/dist/cli/edge.js'))).toBe(true);
      expect(existsSync(join(dest, 'opt/peerfetch/shared/dist/index.js'))).toBe(true);
      // A release: the two workspaces and a lockfile that npm ci installs exactly.
      const pkg = JSON.parse(await readFile(join(dest, 'opt/peerfetch/package.json'), 'utf8'));
      expect(pkg.workspaces).toEqual(['shared', 'edge']);
      const lock = JSON.parse(
        await readFile(join(dest, 'opt/peerfetch/package-lock.json'), 'utf8'),
      );
      expect(lock.packages['node_modules/@roamhq/wrtc-linux-arm64']).toBeDefined();
      expect(lock.packages['node_modules/vitest']).toBeUndefined();
      // The CLIs on PATH.
      for (const name of ['peerfetch-edge', 'peerfetch']) {
        expect(readlinkSync(join(dest, 'usr/local/bin', name))).toMatch(
          /^\/opt\/peerfetch\/edge\//,
        );
      }
      expect(stdout).toContain('sudo peerfetch-edge pair');
      const config = await readFile(join(dest, 'etc/peerfetch/edge.yaml'), 'utf8');
      expect(config).toContain('url: https://signal.example.org');
      expect(config).toContain('name: "Kitchen Pi"');
      expect(config).toContain(`mediaDir: ${media}`);
      const dropIn = await readFile(
        join(dest, 'etc/systemd/system/peerfetch-edge.service.d/media.conf'),
        'utf8',
      );
      expect(dropIn).toContain(`ReadOnlyPaths=${media}`);
      await rm(media, { recursive: true, force: true });
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('refuses a first install without a signaling URL', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'pf-install-'));
    try {
      await expect(
        run('bash', ['edge/scripts/install.sh', '--destdir', dest, '--skip-npm']),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('--signaling URL is required'),
      });
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });
});
