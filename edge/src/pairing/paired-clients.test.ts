import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPairedClients, PAIRED_CLIENTS_FILE, PairedClientsError } from './paired-clients.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-clients-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (n: number) => new Uint8Array(32).fill(n);

describe('paired clients', () => {
  it('stores clients in a 0600 file that survives a reload, and imports their keys', async () => {
    const clients = await loadPairedClients({ stateDir: dir });
    expect(clients.size).toBe(0);
    await clients.add({ id: 'phone1', name: 'Phone', key: key(1) });
    await clients.add({ id: 'laptop', name: 'Laptop', key: key(2) });
    const path = join(dir, PAIRED_CLIENTS_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([PAIRED_CLIENTS_FILE]);

    const again = await loadPairedClients({ stateDir: dir });
    expect(again.list().map((c) => c.id)).toEqual(['phone1', 'laptop']);
    expect(again.list()[0]).not.toHaveProperty('key');
    const imported = await again.findKey('phone1');
    const tag = await crypto.subtle.sign('HMAC', imported!, new Uint8Array([1]));
    const expected = await crypto.subtle.sign(
      'HMAC',
      await crypto.subtle.importKey('raw', key(1), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]),
      new Uint8Array([1]),
    );
    expect(Buffer.from(tag)).toEqual(Buffer.from(expected));
    expect(await again.findKey('stranger')).toBeUndefined();
  });

  it('matches by id or name, and removes', async () => {
    const clients = await loadPairedClients({ stateDir: dir });
    await clients.add({ id: 'a1', name: 'Phone', key: key(1) });
    await clients.add({ id: 'a2', name: 'Phone', key: key(2) });
    expect(clients.match('a1').map((c) => c.id)).toEqual(['a1']);
    expect(clients.match('Phone').map((c) => c.id)).toEqual(['a1', 'a2']);
    expect(await clients.remove('a1')).toBe(true);
    expect(await clients.remove('a1')).toBe(false);
    expect(await clients.findKey('a1')).toBeUndefined();
    expect((await loadPairedClients({ stateDir: dir })).list().map((c) => c.id)).toEqual(['a2']);
  });

  it('saves last-seen times after the debounce delay, or on flush', async () => {
    const clients = await loadPairedClients({ stateDir: dir, lastSeenSaveDelayMs: 50 });
    await clients.add({ id: 'a1', name: 'Phone', key: key(1) });
    const path = join(dir, PAIRED_CLIENTS_FILE);
    const before = JSON.parse(await readFile(path, 'utf8')).clients[0].lastSeen;
    await new Promise((r) => setTimeout(r, 5));
    clients.touch('a1');
    expect(JSON.parse(await readFile(path, 'utf8')).clients[0].lastSeen).toBe(before);
    await expect
      .poll(async () => JSON.parse(await readFile(path, 'utf8')).clients[0].lastSeen)
      .not.toBe(before);
    clients.touch('a1');
    await clients.flush();
    expect(JSON.parse(await readFile(path, 'utf8')).clients[0].lastSeen).toBe(
      clients.list()[0]!.lastSeen,
    );
  });

  it('refuses a corrupt file, names it, and leaves it in place', async () => {
    const path = join(dir, PAIRED_CLIENTS_FILE);
    await writeFile(path, '{"version":1,"clients":[{"id":');
    const error = await loadPairedClients({ stateDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PairedClientsError);
    expect((error as Error).message).toContain(path);
    expect(await readFile(path, 'utf8')).toBe('{"version":1,"clients":[{"id":');
  });
});
