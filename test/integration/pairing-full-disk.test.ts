/**
 * Pairing on a full disk, for real: the edge's state directory is a tiny tmpfs mounted in a
 * mount namespace of its own (`unshare -m`), reached from here and by the edge through
 * /proc/<pid>/root of the process that holds the namespace. The pairing must fail at the
 * client with a generic reason, the edge must keep running and keep nothing it could not
 * store, and after a restart the client must not be paired.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdgeCli, type StartedEdge, startEdge } from '../helpers/edge.js';
import { connectClient, newIdentity, openPairingWindow, pairClient } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { type HeldTmpfs, holdTmpfs } from '../helpers/tmpfs.js';

const isRoot = process.getuid?.() === 0;
const TMPFS_BYTES = 256 * 1024;
const PAGE = 4096;
/** Clients already paired: their list takes several pages, a window record takes one. */
const EARLIER_CLIENTS = 60;

let signaling: StartedSignaling;
let disk: HeldTmpfs;
let hostDir: string;
let stateDir: string;
let edge: StartedEdge;

const earlierClients = () => ({
  version: 1,
  clients: Array.from({ length: EARLIER_CLIENTS }, (_, i) => ({
    id: `earlier-${i}`,
    name: `earlier client ${i} ${'n'.repeat(120)}`,
    key: randomBytes(32).toString('base64'),
    pairedAt: new Date().toISOString(),
    lastSeen: null,
  })),
});

const pairedIds = async (): Promise<string[]> => {
  const result = await runEdgeCli(edge, ['clients', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout.toString()) as { id: string }[]).map((c) => c.id);
};
const freeBytes = async () => {
  const fs = await statfs(stateDir);
  return fs.bavail * fs.bsize;
};

describe.skipIf(!isRoot)('pairing on a full disk', () => {
  beforeAll(async () => {
    signaling = await startSignaling();
    hostDir = await mkdtemp(join(tmpdir(), 'pf-full-'));
    disk = await holdTmpfs(hostDir, TMPFS_BYTES);
    stateDir = disk.path;
    await writeFile(join(stateDir, 'paired-clients.json'), JSON.stringify(earlierClients()), {
      mode: 0o600,
    });
  });
  afterAll(async () => {
    await edge?.stop();
    await signaling?.stop();
    disk?.release();
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  });

  it('runs on a tmpfs that only the namespace sees', async () => {
    const fs = await statfs(stateDir);
    expect(fs.blocks * fs.bsize).toBe(TMPFS_BYTES);
    expect(await readdir(hostDir), 'the host directory stays empty').toEqual([]);
  });

  it('fails the pairing with a generic reason, keeps running, and stores nothing', async () => {
    edge = await startEdge({ signalingUrl: signaling.url, stateDir });
    const { code } = await openPairingWindow(edge);
    // Fill the disk to one page: enough to record an attempt (one small file replaced),
    // not enough to write the list of clients.
    await writeFile(join(stateDir, 'filler'), new Uint8Array((await freeBytes()) - PAGE));
    expect(await freeBytes()).toBe(PAGE);

    const phone = newIdentity();
    const error = (await connectClient(signaling.port, edge.peerId, {
      identity: phone,
      credentials: { pairingCode: code, onPaired: () => {} },
    }).then(
      async (session) => {
        await session.close();
        throw new Error('paired on a full disk');
      },
      (e: unknown) => e,
    )) as Error & { cause?: Error & { reason?: string } };
    expect(error.cause?.reason).toBe('failed');
    const told = `${error.message} | ${error.cause?.message}`;
    expect(told).not.toMatch(/ENOSPC|no space|paired-clients|pf-full|\/proc\//);

    // The disk really was full: the edge's own log says so.
    const failure = await edge.waitForLog(
      (l) => l.msg === 'authentication failed' && l.clientId === phone.id,
    );
    expect(String(failure.err)).toMatch(/ENOSPC/);
    expect(edge.running()).toBe(true);
    const ids = await pairedIds();
    expect(ids).toHaveLength(EARLIER_CLIENTS);
    expect(ids).not.toContain(phone.id);
    // The attempt itself was recorded before the failure.
    expect((await openPairingWindow(edge)).attemptsLeft).toBe(4);

    // After space is freed and the edge restarted, the client is still not paired, and
    // the same window is there to pair with.
    await unlink(join(stateDir, 'filler'));
    await edge.stop();
    edge = await startEdge({ signalingUrl: signaling.url, stateDir });
    expect(await pairedIds()).not.toContain(phone.id);
    const again = await openPairingWindow(edge);
    expect(again).toMatchObject({ code, attemptsLeft: 4 });
    const paired = await pairClient(signaling.port, edge, code);
    expect(await pairedIds()).toContain(paired.id);
  });
});
