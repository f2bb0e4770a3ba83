import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type ChannelBinding, clientAuthenticator, edgeAuthenticator } from '@peerfetch/shared';
import { connectInMemory, type InMemoryConnection } from '@peerfetch/shared/testing';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPairedClients, PAIRED_CLIENTS_FILE } from './paired-clients.js';
import { createPairingService } from './pairing-service.js';
import { createWindowStore, PAIRING_WINDOW_FILE } from './window-store.js';

/** Files whose writes fail as on a full disk (ENOSPC), by name. */
const full = vi.hoisted(() => new Set<string>());

vi.mock('../state/atomic-write.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../state/atomic-write.js')>();
  return {
    ...real,
    writeFileAtomic: async (path: string, data: string | Uint8Array, mode?: number) => {
      if (full.has(basename(path))) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
          code: 'ENOSPC',
        });
      }
      return real.writeFileAtomic(path, data, mode);
    },
  };
});

let dir: string;
let connection: InMemoryConnection | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-full-'));
});
afterEach(async () => {
  full.clear();
  await connection?.close();
  connection = undefined;
  await rm(dir, { recursive: true, force: true });
});

const key = (n: number) => new Uint8Array(32).fill(n);
const storedIds = async () =>
  JSON.parse(await readFile(join(dir, PAIRED_CLIENTS_FILE), 'utf8')).clients.map(
    (c: { id: string }) => c.id,
  );

describe('paired clients on a full disk', () => {
  it('hold no client in memory that is not on disk', async () => {
    const clients = await loadPairedClients({ stateDir: dir });
    await clients.add({ id: 'phone', name: 'Phone', key: key(1) });
    full.add(PAIRED_CLIENTS_FILE);
    await expect(clients.add({ id: 'laptop', name: 'Laptop', key: key(2) })).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(clients.size).toBe(1);
    expect(clients.list().map((c) => c.id)).toEqual(['phone']);
    expect(await clients.findKey('laptop')).toBeUndefined();
    expect(await storedIds()).toEqual(['phone']);
    expect(await readdir(dir), 'no temp file left behind').toEqual([PAIRED_CLIENTS_FILE]);

    full.clear();
    await clients.add({ id: 'laptop', name: 'Laptop', key: key(2) });
    expect(await storedIds()).toEqual(['phone', 'laptop']);
  });

  it('keep a client whose removal could not be saved: it is still paired on disk', async () => {
    const clients = await loadPairedClients({ stateDir: dir });
    await clients.add({ id: 'phone', name: 'Phone', key: key(1) });
    full.add(PAIRED_CLIENTS_FILE);
    await expect(clients.remove('phone')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(clients.match('phone')).toHaveLength(1);
    expect(await clients.findKey('phone')).toBeDefined();
    expect(await storedIds()).toEqual(['phone']);
  });
});

describe('the pairing window store on a full disk', () => {
  it('fails with a named error that keeps the cause, and leaves the stored window', async () => {
    const store = createWindowStore(dir);
    await store.save({ code: '123456', expiresAt: Date.now() + 60_000, attempts: 1 });
    full.add(PAIRING_WINDOW_FILE);
    const error = await store
      .save({ code: '123456', expiresAt: Date.now() + 60_000, attempts: 2 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'PeerFetchPairingWindowStateError',
      cause: { code: 'ENOSPC' },
    });
    expect((await store.load(() => {}))?.attempts).toBe(1);
  });
});

/** A pairing service over the paired clients kept in `stateDir`. */
async function pairingServiceIn(stateDir: string, logger = pino({ level: 'silent' })) {
  const clients = await loadPairedClients({ stateDir });
  const service = await createPairingService({
    clients,
    stateDir,
    edgeId: 'edge-1',
    signalingUrl: 'https://signal.example',
    windowMs: 60_000,
    logger,
    closeSessions: () => 0,
  });
  return { clients, service };
}

describe('the pairing service on a full disk', () => {
  it('opens no window on first start, says so in the log, and does not fail the start', async () => {
    const lines: { msg: string; err?: string }[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const { service } = await pairingServiceIn(dir, logger);
    full.add(PAIRING_WINDOW_FILE);
    await service.openIfUnpaired();
    expect(service.window.current()).toBeUndefined();
    const logged = lines.find((l) => l.msg === 'cannot open the pairing window');
    expect(logged?.err).toMatch(/ENOSPC/);
    expect(lines.some((l) => l.msg === 'pairing window open')).toBe(false);
    // `peerfetch-edge pair` tells its caller.
    await expect(service.pair()).rejects.toMatchObject({
      name: 'PeerFetchPairingWindowStateError',
    });
    full.clear();
    expect((await service.pair()).attemptsLeft).toBe(5);
  });
});

describe('pairing when the client cannot be stored', () => {
  const binding: ChannelBinding = {
    clientId: 'phone-1',
    edgeId: 'edge-1',
    clientFingerprint: 'sha-256 AA:AA',
    edgeFingerprint: 'sha-256 BB:BB',
  };

  it('fails at the client with a generic reason, and the edge keeps nothing', async () => {
    const { clients, service } = await pairingServiceIn(dir);
    const { code } = await service.pair();
    full.add(PAIRED_CLIENTS_FILE);
    let pairedKey: Uint8Array | undefined;
    connection = connectInMemory(async () => new Response('private'), {
      server: {
        authenticate: edgeAuthenticator({
          binding,
          edgeName: 'Garage Pi',
          pairing: service.window,
          findClientKey: (id) => clients.findKey(id),
        }),
      },
      client: {
        authenticate: clientAuthenticator({
          binding,
          clientName: 'My phone',
          credentials: {
            pairingCode: code,
            onPaired: (result) => {
              pairedKey = result.key;
            },
          },
        }),
      },
    });
    const clientError = (await connection.clientSession.ready.catch((e: unknown) => e)) as Error;
    expect(clientError.cause).toMatchObject({ reason: 'failed' });
    expect(pairedKey).toBeUndefined();
    const told = `${clientError.message} ${(clientError.cause as Error).message}`;
    expect(told).not.toMatch(/ENOSPC|pf-full|paired-clients/);
    // The edge's own error keeps the cause for its log.
    const edgeError = (await connection.serverSession.closed) as Error;
    expect(String((edgeError.cause as Error).message)).toContain('ENOSPC');

    expect(clients.size).toBe(0);
    expect(await clients.findKey('phone-1')).toBeUndefined();
    expect((await loadPairedClients({ stateDir: dir })).size).toBe(0);
    // The attempt was counted (it reached the disk before the failure); the window is open.
    expect(service.window.current()?.attemptsLeft).toBe(4);
  });
});
