import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaUploadResult } from '@peerfetch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../router/router.js';
import { createDeviceApi } from './handler.js';

const LIMIT = 64 * 1024;
let root: string;
let media: string;
let api: (path: string, init?: RequestInit) => Promise<Response>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-uploads-'));
  media = join(root, 'media');
  await mkdir(media);
  await mkdir(join(root, 'state'));
  await writeFile(join(media, 'existing.txt'), 'keep me');
  // Left by an upload that a crash cut off: gone before the first media request.
  await writeFile(join(media, '.upload.0123456789ab.tmp'), 'half');
  const router = createRouter([
    {
      prefix: '/',
      handler: createDeviceApi({
        stateDir: join(root, 'state'),
        version: '0.0.0',
        mediaDir: media,
        maxUploadBytes: LIMIT,
      }),
    },
  ]);
  api = (path, init) => router(new Request(`http://peerfetch.invalid${path}`, init));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A body of `size` bytes without a declared length, in 4 KiB chunks. */
function unsized(size: number): RequestInit {
  let left = size;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = Math.min(4096, left);
      left -= n;
      if (n > 0) controller.enqueue(new Uint8Array(n).fill(7));
      if (left === 0) controller.close();
    },
  });
  return { body, duplex: 'half' } as RequestInit;
}

const listNames = async () =>
  ((await (await api('/api/media')).json()) as { items: { name: string }[] }).items
    .map((i) => i.name)
    .sort();

describe('uploads', () => {
  it('removes temp files of interrupted uploads before serving', async () => {
    expect(await listNames()).toEqual(['existing.txt']);
    expect(await readdir(media)).toEqual(['existing.txt']);
  });

  it('PUT creates exactly the name, answering 201 with Location', async () => {
    const response = await api('/api/media/new%20photo.jpg', { method: 'PUT', body: 'jpeg bytes' });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/media/new%20photo.jpg');
    const result = (await response.json()) as MediaUploadResult;
    expect(result).toMatchObject({
      name: 'new photo.jpg',
      requestedName: 'new photo.jpg',
      size: 10,
      type: 'image/jpeg',
      thumbnailUrl: '/api/media/new%20photo.jpg/thumbnail',
    });
    expect(await readFile(join(media, 'new photo.jpg'), 'utf8')).toBe('jpeg bytes');
  });

  it('PUT never replaces a file: 409', async () => {
    const response = await api('/api/media/existing.txt', { method: 'PUT', body: 'overwrite' });
    expect(response.status).toBe(409);
    expect(await readFile(join(media, 'existing.txt'), 'utf8')).toBe('keep me');
  });

  it('POST stores a taken name under a numbered one', async () => {
    const response = await api('/api/media?name=existing.txt', { method: 'POST', body: 'second' });
    expect(response.status).toBe(201);
    const result = (await response.json()) as MediaUploadResult;
    expect(result.name).toBe('existing (1).txt');
    expect(result.requestedName).toBe('existing.txt');
    expect(await readFile(join(media, 'existing (1).txt'), 'utf8')).toBe('second');
  });

  it('POST sanitizes a hostile name; PUT refuses one, saying what would do', async () => {
    const posted = await api(`/api/media?name=${encodeURIComponent('../../etc/passwd')}`, {
      method: 'POST',
      body: 'x',
    });
    expect(posted.status).toBe(201);
    expect(((await posted.json()) as MediaUploadResult).name).toBe('_.._etc_passwd');
    const put = await api('/api/media/.profile', { method: 'PUT', body: 'x' });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { detail: string }).detail).toMatch(/"profile" would be/);
    expect((await api('/api/media?name=..', { method: 'POST', body: 'x' })).status).toBe(400);
    expect((await api('/api/media', { method: 'POST', body: 'x' })).status).toBe(400);
  });

  it('413 before reading when content-length is over the limit, and mid-stream otherwise', async () => {
    const declared = await api('/api/media/big.bin', {
      method: 'PUT',
      headers: { 'content-length': String(LIMIT + 1) },
      ...unsized(LIMIT + 1),
    });
    expect(declared.status).toBe(413);
    const streamed = await api('/api/media/big.bin', { method: 'PUT', ...unsized(LIMIT + 1) });
    expect(streamed.status).toBe(413);
    expect((await readdir(media)).filter((n) => n.startsWith('.') || n === 'big.bin')).toEqual([]);
    const fits = await api('/api/media/fits.bin', { method: 'PUT', ...unsized(LIMIT) });
    expect(fits.status).toBe(201);
  });

  it('400 for a body shorter than its content-length, keeping nothing', async () => {
    const response = await api('/api/media/short.bin', {
      method: 'PUT',
      headers: { 'content-length': '10000' },
      ...unsized(100),
    });
    expect(response.status).toBe(400);
    expect((await readdir(media)).filter((n) => n.startsWith('.') || n === 'short.bin')).toEqual(
      [],
    );
  });

  it('a request aborted mid-upload leaves no file and no temp file', async () => {
    const abort = new AbortController();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        sent += 4096;
        controller.enqueue(new Uint8Array(4096));
        if (sent === 16 * 4096) {
          // The edge has the temp file open by now: the session ends.
          expect((await readdir(media)).some((n) => n.startsWith('.upload.'))).toBe(true);
          abort.abort(new Error('session closed'));
        }
      },
    });
    const init = { method: 'PUT', body, duplex: 'half', signal: abort.signal } as RequestInit;
    await expect(api('/api/media/aborted.bin', init)).rejects.toThrow(/session closed/);
    expect((await readdir(media)).filter((n) => n.startsWith('.') || n === 'aborted.bin')).toEqual(
      [],
    );
  });

  it('answers 405 with Allow for methods a path does not take', async () => {
    const response = await api('/api/media', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    const file = await api('/api/media/existing.txt', { method: 'POST', body: 'x' });
    expect(file.headers.get('allow')).toBe('GET, HEAD, PUT');
  });
});
