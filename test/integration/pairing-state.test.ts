/**
 * Pairing state at rest: every file the edge and the Node client keep is private to its
 * owner, and a save killed half-way leaves the previous paired-clients list readable.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPairedClients } from '@peerfetch/edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStateDir, removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

const EDGE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../edge/dist/index.js');

describe('state files', () => {
  let signaling: StartedSignaling;
  let edge: StartedEdge;
  let configHome: string;
  beforeAll(async () => {
    signaling = await startSignaling();
    edge = await startEdge({ signalingUrl: signaling.url });
    configHome = await mkdtemp(join(tmpdir(), 'pf-config-'));
  });
  afterAll(async () => {
    await edge?.stop();
    await signaling?.stop();
    if (edge) await removeStateDir(edge.stateDir);
    await rm(configHome, { recursive: true, force: true });
  });

  it('are mode 0600 (directories 0700) on the edge and the Node client', async () => {
    const paired = await pairCli(
      signaling.url,
      edge,
      configHome,
      (await pairingWindowOf(edge)).code,
    );
    expect(paired.code).toBe(0);
    await edge.waitForLog((l) => l.msg === 'client paired');
    const edgeFiles = (await readdir(edge.stateDir)).filter((f) => f !== 'test-edge.yaml');
    expect(edgeFiles.sort()).toEqual(['control.sock', 'identity.json', 'paired-clients.json']);
    for (const file of edgeFiles)
      expect((await stat(join(edge.stateDir, file))).mode & 0o777).toBe(0o600);
    const clientDir = join(configHome, 'peerfetch');
    expect((await stat(clientDir)).mode & 0o777).toBe(0o700);
    expect(await readdir(clientDir)).toEqual(['devices.json']);
    expect((await stat(join(clientDir, 'devices.json'))).mode & 0o777).toBe(0o600);
  });
});

/**
 * A process that pairs clients one after another as fast as it can (each save rewrites a
 * file that grows by ~350 bytes), to be killed at a random moment.
 */
function startSaver(stateDir: string) {
  const script = `
    const { loadPairedClients } = await import(${JSON.stringify(EDGE_DIST)});
    const clients = await loadPairedClients({ stateDir: ${JSON.stringify(stateDir)} });
    process.stdout.write('ready\\n');
    for (let i = clients.size; ; i++) {
      await clients.add({ id: 'c' + i, name: 'n'.repeat(250), key: new Uint8Array(32).fill(i % 256) });
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((r) => child.stdout!.once('data', () => r()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, ready, exited };
}

describe('a save killed half-way', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await makeStateDir();
  });
  afterAll(async () => {
    await removeStateDir(stateDir);
  });

  it('leaves the previous list readable, every time (SIGKILL at 12 random moments)', async () => {
    let previous = 0;
    const tempFilesSeen = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const saver = startSaver(stateDir);
      await saver.ready;
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 200));
      saver.child.kill('SIGKILL');
      await saver.exited;
      for (const f of await readdir(stateDir)) if (f.endsWith('.tmp')) tempFilesSeen.add(f);
      // Loading must succeed and give a whole list: no torn entry, never fewer than before.
      const clients = await loadPairedClients({ stateDir });
      const list = clients.list();
      expect(list.length).toBeGreaterThanOrEqual(previous);
      expect(list.map((c) => c.id)).toEqual(list.map((_, i) => `c${i}`));
      for (const c of list) expect(c.name).toHaveLength(250);
      expect(await clients.findKey(`c${list.length - 1}`)).toBeDefined();
      expect((await stat(join(stateDir, 'paired-clients.json'))).mode & 0o777).toBe(0o600);
      previous = list.length;
    }
    expect(previous).toBeGreaterThan(12); // the saver did get through many saves
    console.log(
      `[pairing figures] ${previous} saves survived 12 SIGKILLs; ${tempFilesSeen.size} half-written temp files were left and ignored`,
    );
  });
});
