import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, STREAM_TEMP_NAME, writeStreamAtomic } from './atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-atomic-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const chunk = (n: number, size = 64 * 1024) => new Uint8Array(size).fill(n);

async function* chunks(count: number, failAt?: number, seen?: (names: string[]) => void) {
  for (let i = 0; i < count; i++) {
    if (i === failAt) {
      seen?.(await readdir(dir));
      throw new Error('client went away');
    }
    yield chunk(i);
  }
}

describe('writeStreamAtomic', () => {
  it('streams every chunk into the first free name, with the mode asked for', async () => {
    await writeFile(join(dir, 'a.bin'), 'taken');
    const { path, bytes } = await writeStreamAtomic(dir, ['a.bin', 'b.bin'], chunks(20), 0o644);
    expect(path).toBe(join(dir, 'b.bin'));
    expect(bytes).toBe(20 * 64 * 1024);
    const written = await readFile(path);
    expect(written.equals(Buffer.concat(Array.from({ length: 20 }, (_, i) => chunk(i))))).toBe(
      true,
    );
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('taken');
    expect((await readdir(dir)).sort()).toEqual(['a.bin', 'b.bin']);
  });

  it('keeps the bytes in a hidden temp file until done, and removes it when the source fails', async () => {
    let during: string[] = [];
    await expect(
      writeStreamAtomic(
        dir,
        ['x.bin'],
        chunks(10, 5, (names) => (during = names)),
      ),
    ).rejects.toThrow(/client went away/);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(STREAM_TEMP_NAME);
    expect(await readdir(dir)).toEqual([]);
  });

  it('never replaces a file: every name taken is EEXIST, and nothing is left', async () => {
    await writeFile(join(dir, 'x.bin'), 'mine');
    await expect(writeStreamAtomic(dir, ['x.bin'], chunks(2))).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await readdir(dir)).toEqual(['x.bin']);
    expect(await readFile(join(dir, 'x.bin'), 'utf8')).toBe('mine');
  });

  it('writes an empty source as an empty file', async () => {
    const { path, bytes } = await writeStreamAtomic(dir, ['empty'], chunks(0));
    expect(bytes).toBe(0);
    expect((await stat(path)).size).toBe(0);
  });
});

describe('removeStaleTempFiles with a pattern', () => {
  it('removes only the temp files of that pattern', async () => {
    const names = ['.upload.0123456789ab.tmp', '.photo.jpg.0123456789ab.tmp', 'photo.jpg'];
    for (const name of names) await writeFile(join(dir, name), 'x');
    expect(await removeStaleTempFiles(dir, STREAM_TEMP_NAME)).toEqual([names[0]]);
    expect((await readdir(dir)).sort()).toEqual([names[1], names[2]].sort());
  });
});
