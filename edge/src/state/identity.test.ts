import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFileAtomic } from './atomic-write.js';
import { IDENTITY_FILE, IdentityError, loadOrCreateIdentity, readIdentity } from './identity.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('identity', () => {
  it('is created once, kept, and readable only by its owner', async () => {
    const stateDir = join(dir, 'state');
    const first = await loadOrCreateIdentity(stateDir);
    expect(first.created).toBe(true);
    expect(first.identity.peerId).toMatch(/^edge-[0-9a-f]{32}$/);
    expect(first.identity.token).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);

    const second = await loadOrCreateIdentity(stateDir);
    expect(second.created).toBe(false);
    expect(second.identity).toEqual(first.identity);
    expect(await readdir(stateDir)).toEqual([IDENTITY_FILE]); // no temp files left behind
  });

  it('gives every device a different id and token', async () => {
    const a = await loadOrCreateIdentity(join(dir, 'a'));
    const b = await loadOrCreateIdentity(join(dir, 'b'));
    expect(a.identity.peerId).not.toBe(b.identity.peerId);
    expect(a.identity.token).not.toBe(b.identity.token);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['the wrong shape', '{"version":1,"peerId":"x","token":"y","createdAt":"z"}'],
    ['empty', ''],
  ])('refuses a file that is %s, names it, and leaves it in place', async (_what, text) => {
    const path = join(dir, IDENTITY_FILE);
    await writeFile(path, text);
    const error = await loadOrCreateIdentity(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/corrupt.*left in place/);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('reports an unreadable file instead of replacing it', async () => {
    if (process.getuid?.() === 0) return; // root reads anything; the mode cannot hide it
    const path = join(dir, IDENTITY_FILE);
    await writeFile(path, '{}');
    await chmod(path, 0o000);
    await expect(readIdentity(dir)).rejects.toThrow(/cannot read identity file/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the whole file and applies the mode', async () => {
    const path = join(dir, 'x.json');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, 'new content', 0o640);
    expect(await readFile(path, 'utf8')).toBe('new content');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['x.json']);
  });

  it('removeStaleTempFiles deletes only the temp files of interrupted saves', async () => {
    await writeFileAtomic(join(dir, 'x.json'), 'kept');
    await writeFile(join(dir, '.x.json.0123456789ab.tmp'), 'half');
    await writeFile(join(dir, '.hidden'), 'mine');
    expect(await removeStaleTempFiles(dir)).toEqual(['.x.json.0123456789ab.tmp']);
    expect((await readdir(dir)).sort()).toEqual(['.hidden', 'x.json']);
  });

  it('leaves the old file when the directory is gone', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'data')).rejects.toThrow(/ENOENT/);
  });
});
