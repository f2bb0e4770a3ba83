/**
 * Uploads into the media folder over real WebRTC: a 100 MiB file byte-exact on disk, a
 * client killed mid-upload leaving nothing behind, 413 before and during the body, and
 * hostile names that never leave the folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MediaUploadResult } from '@peerfetch/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  fetchAnswer,
  type MediaEdge,
  type MediaStack,
  startMediaStack,
  unsizedBody,
} from '../helpers/media-edge.js';
import type { ClientSession } from '../helpers/pairing.js';

const MiB = 1024 * 1024;
/** The edge's default upload limit (limits.requestBodyBytes): the big upload fits exactly. */
const LIMIT = 100 * MiB;

let stack: MediaStack;
let media: MediaEdge;
let client: ClientSession;
let root: string;
let mediaDir: string;
let bigFile: string;
let bigSha256: string;

/** Writes `mib` MiB of random bytes to `path`, returning their sha256. */
async function writeRandomFile(path: string, mib: number): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(function* () {
    for (let i = 0; i < mib; i++) {
      const chunk = randomBytes(MiB);
      hash.update(chunk);
      yield chunk;
    }
  }, createWriteStream(path));
  return hash.digest('hex');
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
const tempFiles = async () => (await readdir(mediaDir)).filter((n) => n.startsWith('.'));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-uploads-'));
  mediaDir = join(root, 'media');
  await mkdir(mediaDir);
  bigFile = join(root, 'big.bin');
  bigSha256 = await writeRandomFile(bigFile, LIMIT / MiB);
  stack = await startMediaStack(mediaDir);
  ({ media, client } = stack);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('uploads over WebRTC', () => {
  it('stores a 100 MiB upload byte-exact', async () => {
    const t0 = performance.now();
    const answer = await fetchAnswer(
      media,
      ['-X', 'PUT', '-d', `@${bigFile}`, '/api/media/big.bin'],
      120_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(answer.status, answer.body.toString()).toBe(201);
    expect(answer.headers.get('location')).toBe('/api/media/big.bin');
    const result = JSON.parse(answer.body.toString()) as MediaUploadResult;
    expect(result).toMatchObject({ name: 'big.bin', size: LIMIT, requestedName: 'big.bin' });
    expect(await sha256Of(join(mediaDir, 'big.bin'))).toBe(bigSha256);
    expect(await tempFiles()).toEqual([]);
    console.log(`[upload figures] 100 MiB upload by the CLI: ${(100 / seconds).toFixed(1)} MiB/s`);
  }, 150_000);

  it('keeps nothing of an upload whose client is killed mid-way', async () => {
    const { child, result } = media.startFetch(
      ['-X', 'PUT', '-d', `@${bigFile}`, '/api/media/killed.bin'],
      120_000,
    );
    // The upload is really under way: its hidden temp file holds part of the bytes.
    const partial = await vi.waitFor(
      async () => {
        for (const name of await tempFiles()) {
          const size = await stat(join(mediaDir, name)).then(
            (s) => s.size,
            () => 0,
          );
          if (size >= MiB) return { name, size };
        }
        throw new Error('the upload has not written 1 MiB yet');
      },
      { timeout: 60_000, interval: 20 },
    );
    child.kill('SIGKILL');
    await result;
    expect(child.signalCode).toBe('SIGKILL');
    expect(partial.size).toBeLessThan(LIMIT);
    const listing = await client.fetch('/api/media');
    const names = ((await listing.json()) as { items: { name: string }[] }).items.map(
      (i) => i.name,
    );
    expect(names).not.toContain('killed.bin');
    expect(names).not.toContain(partial.name);
    // The edge notices the dead client (unanswered pings) and drops the temp file.
    await vi.waitFor(async () => expect(await tempFiles()).toEqual([]), {
      timeout: 45_000,
      interval: 50,
    });
    expect(await readdir(mediaDir)).toEqual(['big.bin']);
  }, 120_000);

  it('answers 413 before reading when content-length is over the limit', async () => {
    const tooBig = join(root, 'too-big.bin');
    await writeFile(tooBig, '');
    await truncate(tooBig, LIMIT + 1);
    const answer = await fetchAnswer(media, [
      '-X',
      'PUT',
      '-d',
      `@${tooBig}`,
      '/api/media/too-big.bin',
    ]);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body.toString()).detail).toBe(`uploads are limited to ${LIMIT} bytes`);
    expect(await readdir(mediaDir)).toEqual(['big.bin']);
  }, 60_000);

  it('answers 413 mid-stream for a body without a length that grows past the limit', async () => {
    const upload = unsizedBody(LIMIT + 4 * MiB, MiB);
    const response = await client.fetch('/api/media?name=stream.bin', {
      method: 'POST',
      ...upload.init,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/exceeds/);
    // The body really went past the limit before the edge refused it.
    expect(upload.sent()).toBeGreaterThan(LIMIT);
    await vi.waitFor(async () => expect(await tempFiles()).toEqual([]), {
      timeout: 10_000,
      interval: 50,
    });
    expect(await readdir(mediaDir)).toEqual(['big.bin']);
  }, 120_000);

  it.each([
    ['/api/media/..%2Fescape.txt', 'PUT'],
    ['/api/media/%2e%2e', 'PUT'],
    ['/api/media/a%00b.txt', 'PUT'],
    ['/api/media/.hidden', 'PUT'],
    [`/api/media/${'x'.repeat(300)}.txt`, 'PUT'],
  ])('refuses the hostile name %s', async (path, method) => {
    const response = await client.fetch(path, { method, body: 'hostile' });
    expect([400, 404, 405]).toContain(response.status);
    expect(await readdir(mediaDir)).toEqual(['big.bin']);
    expect(await readdir(root)).not.toContain('escape.txt');
  });

  it.each([
    ['../escape.txt', '_escape.txt'],
    ['%2e%2e%2fescape.txt', '%2e%2e%2fescape.txt'],
    ['nul\0byte.txt', 'nulbyte.txt'],
    [`${'y'.repeat(300)}.txt`, `${'y'.repeat(245)}.txt`],
  ])('stores a POSTed hostile name %j inside the folder as %j', async (name, stored) => {
    const response = await client.fetch(`/api/media?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      body: 'posted',
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as MediaUploadResult).name).toBe(stored);
    expect(await readFile(join(mediaDir, stored), 'utf8')).toBe('posted');
    await rm(join(mediaDir, stored));
    expect(await readdir(root)).not.toContain('escape.txt');
  });
});
