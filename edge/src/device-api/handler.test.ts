import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaPage } from '@peerfetch/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../router/router.js';
import type { DeviceInfo } from './device-info.js';
import { createDeviceApi } from './handler.js';

let root: string;
let media: string;
let state: string;
let api: (path: string, init?: RequestInit) => Promise<Response>;
const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-device-'));
  media = join(root, 'media');
  state = join(root, 'state');
  await mkdir(media);
  await mkdir(state);
  await writeFile(join(root, 'secret.txt'), 'outside');
  await writeFile(join(media, 'old.bin'), bytes);
  await utimes(join(media, 'old.bin'), new Date('2024-01-01'), new Date('2024-01-01'));
  await writeFile(join(media, 'note.txt'), 'hello');
  await utimes(join(media, 'note.txt'), new Date('2025-01-01'), new Date('2025-01-01'));
  const png = await sharp({
    create: { width: 400, height: 200, channels: 3, background: '#3366cc' },
  })
    .png()
    .toBuffer();
  await writeFile(join(media, 'photo one.png'), png);
  await writeFile(join(media, 'broken.jpg'), 'not an image');
  await writeFile(join(media, '.hidden'), 'x');
  await symlink(join(root, 'secret.txt'), join(media, 'escape.txt'));
  await symlink(join(media, 'note.txt'), join(media, 'inside-link.txt'));
  // A fake hardware tree, as a Raspberry Pi has it.
  const hw = join(root, 'hw');
  await mkdir(join(hw, 'thermal', 'thermal_zone0'), { recursive: true });
  await writeFile(join(hw, 'model'), 'Raspberry Pi 5 Model B Rev 1.0\0');
  await writeFile(join(hw, 'thermal', 'thermal_zone0', 'temp'), '48312\n');
  await writeFile(join(hw, 'thermal', 'thermal_zone0', 'type'), 'cpu-thermal\n');
  const router = createRouter([
    {
      prefix: '/',
      handler: createDeviceApi({
        stateDir: state,
        version: '9.9.9',
        mediaDir: media,
        paths: { model: join(hw, 'model'), thermal: join(hw, 'thermal') },
      }),
    },
  ]);
  api = (path, init) => router(new Request(`http://peerfetch.invalid${path}`, init));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('GET /api/device', () => {
  it('reports this machine', async () => {
    const response = await api('/api/device');
    expect(response.status).toBe(200);
    const info = (await response.json()) as DeviceInfo;
    expect(info.model).toBe('Raspberry Pi 5 Model B Rev 1.0');
    expect(info.cpuTemperatureCelsius).toBe(48.3);
    expect(info.agent.version).toBe('9.9.9');
    expect(info.memory.totalBytes).toBeGreaterThan(0);
    expect(info.disk!.totalBytes).toBeGreaterThan(0);
    expect(info.uptimeSeconds).toBeGreaterThan(0);
    expect(typeof info.hostname).toBe('string');
  });

  it('refuses other methods with 405 and Allow', async () => {
    const response = await api('/api/device', { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('GET /api/media', () => {
  it('lists regular files newest first, without hidden files or links that leave the folder', async () => {
    const page = (await (await api('/api/media')).json()) as MediaPage;
    const names = page.items.map((i: { name: string }) => i.name);
    expect(names).not.toContain('.hidden');
    expect(names).not.toContain('escape.txt');
    expect(names).toContain('inside-link.txt');
    expect(names.slice(-2)).toEqual(['note.txt', 'old.bin']);
    const photo = page.items.find((i: { name: string }) => i.name === 'photo one.png');
    expect(photo).toMatchObject({ type: 'image/png', url: '/api/media/photo%20one.png' });
    expect(photo?.thumbnailUrl).toBe('/api/media/photo%20one.png/thumbnail');
    expect(page.total).toBe(5);
  });

  it('paginates', async () => {
    const first = (await (await api('/api/media?limit=2')).json()) as MediaPage;
    expect(first.items).toHaveLength(2);
    expect(first.next).toBe('/api/media?offset=2&limit=2');
    const last = (await (await api('/api/media?offset=4&limit=2')).json()) as MediaPage;
    expect(last.items.map((i: { name: string }) => i.name)).toEqual(['old.bin']);
    expect(last.next).toBeNull();
  });
});

describe('GET /api/media/{name}', () => {
  it('serves a file with validators', async () => {
    const response = await api('/api/media/old.bin');
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get('content-length')).toBe('1000');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('last-modified')).toBe(new Date('2024-01-01').toUTCString());
    const etag = response.headers.get('etag')!;
    const again = await api('/api/media/old.bin', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const since = await api('/api/media/old.bin', {
      headers: { 'if-modified-since': new Date('2024-06-01').toUTCString() },
    });
    expect(since.status).toBe(304);
  });

  it('serves byte ranges', async () => {
    const part = await api('/api/media/old.bin', { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    const tail = await api('/api/media/old.bin', { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(995));
    const open = await api('/api/media/old.bin', { headers: { range: 'bytes=990-' } });
    expect(open.headers.get('content-length')).toBe('10');
    const bad = await api('/api/media/old.bin', { headers: { range: 'bytes=5000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */1000');
    const stale = await api('/api/media/old.bin', {
      headers: { range: 'bytes=0-1', 'if-range': '"other"' },
    });
    expect(stale.status).toBe(200);
  });

  it.each([
    '/api/media/..%2fsecret.txt',
    '/api/media/%2e%2e%2fsecret.txt',
    '/api/media/..%5csecret.txt',
    '/api/media/escape.txt',
    '/api/media/.hidden',
    '/api/media/../secret.txt',
    '/api/media/%2E%2E/secret.txt',
    '/api/media/nope.txt',
  ])('never serves anything outside the folder: %s', async (path) => {
    const response = await api(path);
    expect([400, 404]).toContain(response.status);
    expect(await response.text()).not.toContain('outside');
  });
});

describe('GET /api/media/{name}/thumbnail', () => {
  it('makes a WebP thumbnail, caches it, and revalidates it', async () => {
    const response = await api('/api/media/photo%20one.png/thumbnail?w=100');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.width).toBe(100);
    expect(meta.height).toBe(50);
    expect(await readdir(join(state, 'thumbnails'))).toHaveLength(1);
    const again = await api('/api/media/photo%20one.png/thumbnail?w=100', {
      headers: { 'if-none-match': response.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('refuses bad widths, non-images and unreadable images clearly', async () => {
    expect((await api('/api/media/photo%20one.png/thumbnail?w=5')).status).toBe(400);
    expect((await api('/api/media/note.txt/thumbnail')).status).toBe(415);
    const broken = await api('/api/media/broken.jpg/thumbnail');
    expect(broken.status).toBe(422);
    expect(broken.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('without a media folder', () => {
  it('answers 404 for media', async () => {
    const handler = createDeviceApi({ stateDir: state, version: '1' });
    const response = await handler(new Request('http://x/api/media'), '/api/media');
    expect(response.status).toBe(404);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/no media folder/);
  });
});

describe('an empty file', () => {
  it('is served whole even when a range is asked for', async () => {
    await writeFile(join(media, 'empty.txt'), '');
    const response = await api('/api/media/empty.txt', { headers: { range: 'bytes=-5' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
    expect(response.headers.get('content-range')).toBeNull();
  });
});
