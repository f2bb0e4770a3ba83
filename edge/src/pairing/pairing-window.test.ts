import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClientPacer } from './client-pacer.js';
import {
  createPairingWindow,
  LONGEST_WINDOW_MS,
  MAX_PAIRING_ATTEMPTS,
  newPairingCode,
} from './pairing-window.js';
import { createWindowStore, PAIRING_WINDOW_FILE, type WindowStore } from './window-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-window-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const enospc = () =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** The real store in `dir`, whose writes fail while `full` is set (a full disk). */
function diskIn(stateDir: string) {
  const real = createWindowStore(stateDir);
  const disk = { full: false, saves: 0 };
  const store: WindowStore = {
    path: real.path,
    load: (onCorrupt) => real.load(onCorrupt),
    save: async (record) => {
      if (disk.full) throw enospc();
      disk.saves++;
      return real.save(record);
    },
    remove: async () => {
      if (disk.full) throw enospc();
      return real.remove();
    },
  };
  return { store, disk };
}

/** A window on `dir` (a new one stands for the edge after a restart). */
function window(options: { pacerMs?: number; burst?: number } = {}) {
  const stored: string[] = [];
  const events: string[] = [];
  const problems: string[] = [];
  const { store, disk } = diskIn(dir);
  const w = createPairingWindow({
    store: async (client) => {
      stored.push(client.id);
    },
    windowStore: store,
    pacer: createClientPacer(options.pacerMs ?? 10_000, options.burst),
    onOpen: (o, how) => events.push(`${how} ${o.code} ${o.attemptsLeft}`),
    onClose: (reason) => events.push(`close ${reason}`),
    onPaced: (clientId) => events.push(`paced ${clientId}`),
    onStateProblem: (problem) => problems.push(problem),
  });
  return { w, stored, events, problems, disk };
}

const onDisk = async () => JSON.parse(await readFile(join(dir, PAIRING_WINDOW_FILE), 'utf8'));
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pairing codes', () => {
  it('are 6 digits, keep leading zeros, and vary', () => {
    const codes = Array.from({ length: 2000 }, newPairingCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(1990);
    // About 10% of uniform codes start with 0; a formatting bug would drop them.
    expect(codes.filter((c) => c.startsWith('0')).length).toBeGreaterThan(100);
  });
});

describe('pairing window', () => {
  it('is closed until opened, and refuses attempts then', async () => {
    const { w } = window();
    expect(w.current()).toBeUndefined();
    expect(await w.beginAttempt('c')).toBeUndefined();
  });

  it('gives the code to 5 attempts, then closes', async () => {
    const { w, events } = window();
    const opened = await w.open(60_000);
    for (let i = 0; i < MAX_PAIRING_ATTEMPTS; i++)
      expect(await w.beginAttempt(`c${i}`)).toBe(opened.code);
    expect(await w.beginAttempt('late')).toBeUndefined();
    expect(w.current()).toBeUndefined();
    expect(events).toEqual([`opened ${opened.code} 5`, 'close attempts used']);
  });

  it('counts parallel attempts one at a time: never more than the limit', async () => {
    const { w } = window();
    const opened = await w.open(60_000);
    const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => w.beginAttempt(`p${i}`)));
    expect(codes.filter((c) => c === opened.code)).toHaveLength(MAX_PAIRING_ATTEMPTS);
    expect((await onDisk()).attempts).toBe(MAX_PAIRING_ATTEMPTS);
  });

  it('shows the same window (code, attempts left) when opened again while open', async () => {
    const { w } = window();
    const first = await w.open(60_000);
    await w.beginAttempt('c');
    const again = await w.open(60_000);
    expect(again).toEqual({ ...first, attemptsLeft: MAX_PAIRING_ATTEMPTS - 1 });
  });

  it('closes after a successful pairing, stores the client first, and leaves no file', async () => {
    const { w, stored, events } = window();
    await w.open(60_000);
    await w.beginAttempt('phone');
    await w.complete({ id: 'phone', name: 'Phone', key: new Uint8Array(32) });
    expect(stored).toEqual(['phone']);
    expect(w.current()).toBeUndefined();
    expect(events.at(-1)).toBe('close paired');
    expect(await exists(join(dir, PAIRING_WINDOW_FILE))).toBe(false);
    const next = await w.open(60_000); // a new window has a new code
    expect(next.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS);
  });

  it('expires, and forgets the window on disk', async () => {
    const { w, events } = window();
    await w.open(150);
    expect(w.current()).toBeDefined();
    await sleep(250);
    expect(w.current()).toBeUndefined();
    expect(await w.beginAttempt('c')).toBeUndefined();
    expect(events.at(-1)).toBe('close expired');
    expect(await exists(join(dir, PAIRING_WINDOW_FILE))).toBe(false);
  });
});

describe('attempts per client', () => {
  it('allow a quick retry, then are paced: one too many is refused and costs nothing', async () => {
    const { w, events } = window({ pacerMs: 300 });
    const opened = await w.open(60_000);
    // A person who mistyped the code tries again at once.
    expect(await w.beginAttempt('phone')).toBe(opened.code);
    expect(await w.beginAttempt('phone')).toBe(opened.code);
    const refused = await w.beginAttempt('phone').catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'PeerFetchAuthenticationError', reason: 'failed' });
    expect(events).toContain('paced phone');
    expect(w.current()?.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS - 2);
    // Another client is not held up by this one.
    expect(await w.beginAttempt('laptop')).toBe(opened.code);
    await sleep(350);
    expect(await w.beginAttempt('phone')).toBe(opened.code);
    expect(w.current()?.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS - 4);
  });
});

describe('across a restart', () => {
  it('reopens the same window: same code, expiry and attempts left, from a 0600 file', async () => {
    const before = window();
    const opened = await before.w.open(60_000);
    await before.w.beginAttempt('a');
    await before.w.beginAttempt('b');
    expect((await stat(join(dir, PAIRING_WINDOW_FILE))).mode & 0o777).toBe(0o600);

    const after = window();
    const restored = await after.w.restore();
    expect(restored).toEqual({ ...opened, attemptsLeft: MAX_PAIRING_ATTEMPTS - 2 });
    expect(after.events).toEqual([`restored ${opened.code} 3`]);
    expect(await after.w.openUnlessSpent(60_000)).toEqual(restored);
    expect(await after.w.beginAttempt('c')).toBe(opened.code);
    expect(after.w.current()?.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS - 3);
  });

  it('keeps the window on disk when the edge stops', async () => {
    const before = window();
    const opened = await before.w.open(60_000);
    before.w.close('stopped');
    expect(before.w.current()).toBeUndefined();
    const after = window();
    expect((await after.w.restore())?.code).toBe(opened.code);
  });

  it('does not reopen a window whose attempts are used, nor open a fresh one on start', async () => {
    const before = window();
    await before.w.open(60_000);
    for (let i = 0; i < MAX_PAIRING_ATTEMPTS; i++) await before.w.beginAttempt(`c${i}`);

    const after = window();
    expect(await after.w.restore()).toBeUndefined();
    expect(await after.w.openUnlessSpent(60_000)).toBeUndefined();
    expect(after.w.current()).toBeUndefined();
    expect(await after.w.beginAttempt('x')).toBeUndefined();
    // The owner asking on the device (`peerfetch-edge pair`) still opens a new one.
    expect((await after.w.open(60_000)).attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS);
  });

  it('drops an expired window and opens a fresh one on start', async () => {
    const before = window();
    const old = await before.w.open(60_000);
    before.w.close('stopped');
    await writeFile(
      join(dir, PAIRING_WINDOW_FILE),
      JSON.stringify({ version: 1, code: old.code, expiresAt: Date.now() - 1, attempts: 1 }),
    );
    const after = window();
    expect(await after.w.restore()).toBeUndefined();
    expect(await exists(join(dir, PAIRING_WINDOW_FILE))).toBe(false);
    expect((await after.w.openUnlessSpent(60_000))?.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS);
  });

  it('does not believe a window longer than any the edge opens', async () => {
    const far = Date.now() + LONGEST_WINDOW_MS + 60_000;
    await writeFile(
      join(dir, PAIRING_WINDOW_FILE),
      JSON.stringify({ version: 1, code: '123456', expiresAt: far, attempts: 0 }),
    );
    expect(await window().w.restore()).toBeUndefined();
  });

  it('reports and removes a file that is not a window record', async () => {
    await writeFile(join(dir, PAIRING_WINDOW_FILE), '{"version":1,"code":');
    const after = window();
    expect(await after.w.restore()).toBeUndefined();
    expect(after.problems.join()).toMatch(/was not a pairing window/);
    expect(await exists(join(dir, PAIRING_WINDOW_FILE))).toBe(false);
  });
});

describe('on a full disk', () => {
  it('opens no window that is not on disk', async () => {
    const { w, disk, events } = window();
    disk.full = true;
    await expect(w.open(60_000)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(w.current()).toBeUndefined();
    expect(events).toEqual([]);
    expect(await exists(join(dir, PAIRING_WINDOW_FILE))).toBe(false);
  });

  it('refuses an attempt it cannot record, and the window is as on disk', async () => {
    const { w, disk } = window({ burst: 1 });
    const opened = await w.open(60_000);
    await w.beginAttempt('a');
    disk.full = true;
    await expect(w.beginAttempt('b')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(w.current()?.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS - 1);
    expect((await onDisk()).attempts).toBe(1);
    disk.full = false;
    // The refused attempt was not one: even paced to one attempt, the client may try at once.
    expect(await w.beginAttempt('b')).toBe(opened.code);
    expect((await onDisk()).attempts).toBe(2);
  });
});
