/**
 * The edge's unit as shipped (same file, same sandboxing), started by a real systemd: a
 * Debian bookworm container booted by systemd-nspawn (helpers/nspawn.ts), the edge installed
 * in it by install.sh from a packed release, the signaling server and the paired client on
 * the host. Root only (nspawn); the first run builds the cached root with debootstrap.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClientCli } from '../helpers/edge.js';
import { bookwormRoot, bootContainer, type Container } from '../helpers/nspawn.js';
import { NPM_CACHE, packRelease, warmNpmCache } from '../helpers/release.js';
import { type StartedSignaling, startSignaling, TEST_PEER_KEY } from '../helpers/signaling.js';

const UNIT = 'peerfetch-edge';
const RELEASE_INSIDE = '/run/peerfetch-release';
const NPM_CACHE_INSIDE = '/var/cache/peerfetch-npm';
const STATE_INSIDE = '/var/lib/private/peerfetch-edge';
/** A cold cache runs debootstrap (about two minutes) and fills npm's cache. */
const SETUP_MS = 1_500_000;
const isRoot = process.getuid?.() === 0;

let work: string;
let signaling: StartedSignaling;
let container: Container;
let release: string;
let peerId: string;
let configHome: string;

/** `systemctl show` properties of the unit. */
async function show(...names: string[]): Promise<Record<string, string>> {
  const text = await container.exec(['systemctl', 'show', UNIT, ...names.map((n) => `-p${n}`)]);
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Polls until `check` passes (each try bounded), or fails with the last state. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const passed = await check().catch((error: Error) => {
      lastError = error.message;
      return false;
    });
    if (passed) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const state = await show('ActiveState', 'SubState', 'Result', 'NRestarts', 'MainPID');
  const journal = await container.tryExec(['journalctl', '-u', UNIT, '-n', '30', '--no-pager']);
  throw new Error(
    `${what} did not happen: ${JSON.stringify(state)}\n${lastError}\n${journal.stdout}`,
  );
}

/** `peerfetch-edge status --json` on the device: the agent answers its control socket. */
async function agentStatus(): Promise<{ peerId: string; signaling: { state: string } }> {
  return JSON.parse(await container.exec(['peerfetch-edge', 'status', '--json']));
}

/** Registered with the signaling server (and maybe in its room already); throws the state otherwise. */
async function registered(): Promise<boolean> {
  const { state } = (await agentStatus()).signaling;
  if (state === 'registered' || state === 'joined') return true;
  throw new Error(`signaling state ${state}`);
}

function install() {
  return container.exec(
    [
      'bash',
      '-c',
      `rm -rf /root/r && mkdir /root/r && tar -C /root/r -xzf "$1" && /root/r/*/edge/scripts/install.sh "\${@:2}"`,
    ]
      .concat(['install', join(RELEASE_INSIDE, basename(release))])
      .concat([
        '--signaling',
        signaling.url,
        '--signaling-key',
        TEST_PEER_KEY,
        '--name',
        'Nspawn Pi',
      ]),
    { npm_config_cache: NPM_CACHE_INSIDE, npm_config_offline: 'true', HOME: '/root' },
  );
}

const fetchDevice = () =>
  runClientCli(['fetch', '--device', peerId, '/api/device'], { configHome, timeoutMs: 60_000 });

let installOutput: string;
beforeAll(async () => {
  if (!isRoot) return;
  work = await mkdtemp(join(tmpdir(), 'pf-nspawn-'));
  configHome = join(work, 'config');
  signaling = await startSignaling();
  release = await packRelease(join(work, 'release'));
  await warmNpmCache(release, 'x64');
  container = await bootContainer(await bookwormRoot(), {
    bindReadOnly: { [dirname(release)]: RELEASE_INSIDE },
    bind: { [NPM_CACHE]: NPM_CACHE_INSIDE },
  });
  installOutput = await install();
  await until('the agent registering', registered);
  peerId = (await agentStatus()).peerId;
}, SETUP_MS);

afterAll(async () => {
  await container?.stop();
  await signaling?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('the unit under systemd (nspawn, bookworm)', () => {
  it('is installed by install.sh, started, and its CLIs are on PATH', async () => {
    expect(installOutput).toContain(`Started ${UNIT}`);
    expect(installOutput).toContain('sudo peerfetch-edge pair');
    expect(
      (await container.exec(['bash', '-c', 'command -v peerfetch-edge peerfetch'])).split('\n'),
    ).toEqual(['/usr/local/bin/peerfetch-edge', '/usr/local/bin/peerfetch', '']);
    expect((await show('ActiveState')).ActiveState).toBe('active');
    expect(peerId).toMatch(/^edge-/);
  });

  it('runs as a dynamic user and keeps its state 0700/0600', async () => {
    const { MainPID } = await show('MainPID');
    const uid = (
      await container.exec(['awk', '/^Uid:/ { print $2 }', `/proc/${MainPID}/status`])
    ).trim();
    expect(Number(uid)).toBeGreaterThanOrEqual(61184); // systemd's DynamicUser range
    expect((await container.exec(['stat', '-c', '%a %u', STATE_INSIDE])).trim()).toBe(`700 ${uid}`);
    const files = (
      await container.exec([
        'find',
        STATE_INSIDE,
        '-maxdepth',
        '1',
        '-type',
        'f',
        '-printf',
        '%m %u %f\\n',
      ])
    )
      .trim()
      .split('\n');
    expect(files).toContain(`600 ${uid} identity.json`);
    for (const file of files) expect(file).toMatch(new RegExp(`^600 ${uid} `));
  });

  it('pairs with the host and serves a fetch', async () => {
    const { code } = JSON.parse(await container.exec(['peerfetch-edge', 'pair', '--json']));
    const paired = await runClientCli(
      ['pair', '--signaling', signaling.url, '--device', peerId, '--code', code],
      { configHome },
    );
    expect(paired.code, paired.stderr).toBe(0);
    const result = await fetchDevice();
    expect(result.code, result.stderr).toBe(0);
    const info = JSON.parse(result.stdout.toString());
    expect(info.hostname).toBe((await container.exec(['hostname'])).trim());
    // Paired now: its key is in a 0600 file of the dynamic user too.
    expect(await container.exec(['stat', '-c', '%a', `${STATE_INSIDE}/paired-clients.json`])).toBe(
      '600\n',
    );
  });

  it('comes back under the same id after SIGSEGV, restarted by systemd, and serves again', async () => {
    const before = await show('MainPID', 'NRestarts', 'RestartUSec');
    expect(before.RestartUSec).toBe('2s');
    const killedAt = Date.now();
    await container.exec(['bash', '-c', `kill -SEGV ${before.MainPID}`]); // minbase has no procps
    await until('a restart by systemd', async () => {
      const now = await show('MainPID', 'NRestarts', 'ActiveState');
      return now.NRestarts === String(Number(before.NRestarts) + 1) && now.ActiveState === 'active';
    });
    const restartedMs = Date.now() - killedAt;
    const journal = await container.exec(['journalctl', '-u', UNIT, '--no-pager', '-o', 'cat']);
    expect(journal).toMatch(/Main process exited, code=(dumped|killed), status=11\/SEGV/);
    await until('the agent registering again', registered);
    expect((await agentStatus()).peerId).toBe(peerId);
    console.info(`[systemd] back after SIGSEGV in ${restartedMs} ms (RestartSec=2s)`);
    const result = await fetchDevice();
    expect(result.code, result.stderr).toBe(0);
  });

  it('a re-run of install.sh upgrades and restarts the running service', async () => {
    const before = await show('InvocationID');
    const output = await install();
    expect(output).toContain(`Upgraded to`);
    expect(output).toContain('Kept the existing');
    const after = await show('InvocationID', 'ActiveState');
    expect(after.ActiveState).toBe('active');
    expect(after.InvocationID).not.toBe(before.InvocationID);
    await until('the agent registering again', registered);
    expect((await agentStatus()).peerId).toBe(peerId);
  });

  it('a configuration error stops it without a restart loop', async () => {
    const config = '/etc/peerfetch/edge.yaml';
    await container.exec(['cp', config, `${config}.good`]);
    try {
      await container.exec(['bash', '-c', `printf 'limits:\\n  sessions: many\\n' >> ${config}`]);
      const { NRestarts } = await show('NRestarts');
      await container.exec(['systemctl', 'restart', UNIT]);
      await until(
        'the unit failing',
        async () => (await show('ActiveState')).ActiveState === 'failed',
      );
      // Two RestartSec periods: a restart loop would have restarted it by then.
      await new Promise((r) => setTimeout(r, 5_000));
      const after = await show('ActiveState', 'Result', 'ExecMainStatus', 'NRestarts');
      expect(after).toMatchObject({
        ActiveState: 'failed',
        Result: 'exit-code',
        ExecMainStatus: '2',
      });
      expect(after.NRestarts).toBe(NRestarts);
      const journal = await container.exec(['journalctl', '-u', UNIT, '--no-pager', '-o', 'cat']);
      expect(journal).toMatch(/peerfetch-edge: invalid configuration/);
      expect(journal).toMatch(/limits\.sessions/);
    } finally {
      await container.exec(['mv', `${config}.good`, config]);
      await container.exec(['systemctl', 'reset-failed', UNIT]);
      await container.exec(['systemctl', 'start', UNIT]);
    }
    await until('the agent registering again', registered);
  });

  it('systemctl stop ends it cleanly within TimeoutStopSec', async () => {
    const { TimeoutStopUSec } = await show('TimeoutStopUSec');
    const t0 = Date.now();
    await container.exec(['systemctl', 'stop', UNIT]);
    const stoppedMs = Date.now() - t0;
    const after = await show('ActiveState', 'Result', 'ExecMainStatus', 'ExecMainCode');
    // Result=timeout (and a SIGKILL) if it outlived TimeoutStopSec. ExecMainCode 1 is
    // CLD_EXITED: it exited by itself with code 0, rather than dying of the SIGTERM.
    expect(after).toMatchObject({
      ActiveState: 'inactive',
      Result: 'success',
      ExecMainCode: '1',
      ExecMainStatus: '0',
    });
    console.info(`[systemd] stopped in ${stoppedMs} ms (TimeoutStopSec=${TimeoutStopUSec})`);
  });
});
