import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileStream, READ_CHUNK_BYTES } from './file-stream.js';

let dir: string;
let path: string;
const content = Buffer.from(Array.from({ length: 3 * READ_CHUNK_BYTES + 123 }, (_, i) => i % 251));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-file-stream-'));
  path = join(dir, 'file.bin');
  await writeFile(path, content);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

const openFiles = async () => (await readdir('/proc/self/fd')).length;

describe('fileStream', () => {
  it('reads the whole file, or a range of it, in chunks for ordinary readers', async () => {
    expect((await readAll(fileStream(path, 0, content.length - 1))).equals(content)).toBe(true);
    const range = await readAll(fileStream(path, 1000, 1000 + READ_CHUNK_BYTES));
    expect(range.equals(content.subarray(1000, 1001 + READ_CHUNK_BYTES))).toBe(true);
  });

  it("reads into a BYOB reader's own buffer, which it can use again", async () => {
    const reader = fileStream(path, 0, content.length - 1).getReader({ mode: 'byob' });
    let buffer = new ArrayBuffer(64 * 1024);
    const received: Buffer[] = [];
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      // The same memory comes back (moved to a new ArrayBuffer object): nothing new was made.
      expect(value.buffer.byteLength).toBe(64 * 1024);
      received.push(Buffer.from(value));
      buffer = value.buffer as ArrayBuffer;
    }
    expect(Buffer.concat(received).equals(content)).toBe(true);
  });

  it('closes the file when the reader cancels', async () => {
    const before = await openFiles();
    const reader = fileStream(path, 0, content.length - 1).getReader();
    await reader.read();
    expect(await openFiles()).toBe(before + 1);
    await reader.cancel();
    expect(await openFiles()).toBe(before);
  });

  it('fails, and closes the file, when the file shrinks while it is read', async () => {
    const shrinking = join(dir, 'shrinking.bin');
    await writeFile(shrinking, content);
    const before = await openFiles();
    const reader = fileStream(shrinking, 0, content.length - 1).getReader();
    await reader.read();
    await truncate(shrinking, READ_CHUNK_BYTES + 10);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow(/shrank while being read/);
    expect(await openFiles()).toBe(before);
  });

  it('fails when the file is gone', async () => {
    await expect(readAll(fileStream(join(dir, 'missing.bin'), 0, 10))).rejects.toThrow(/ENOENT/);
  });
});
