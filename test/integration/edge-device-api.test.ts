/**
 * The built-in device API through the `peerfetch fetch` CLI: real values of this machine,
 * media listing, byte ranges, thumbnails, and traversal attempts that must fail.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, runClientCli, type StartedEdge, startEdge } from '../helpers/edge.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let edge: StartedEdge;
let root: string;
let configHome: string;
const video = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-media-'));
  const media = join(root, 'media');
  await mkdir(media);
  await writeFile(join(root, 'secret.txt'), 'TOP SECRET');
  await writeFile(join(media, 'clip.mp4'), video);
  const jpeg = await sharp({
    create: { width: 640, height: 480, channels: 3, background: '#884422' },
  })
    .jpeg()
    .toBuffer();
  await writeFile(join(media, 'holiday.jpg'), jpeg);
  await symlink(join(root, 'secret.txt'), join(media, 'link.txt'));
  signaling = await startSignaling();
  edge = await startEdge({ signalingUrl: signaling.url, mediaDir: media });
  configHome = join(root, 'config');
  const paired = await pairCli(signaling.url, edge, configHome, (await pairingWindowOf(edge)).code);
  if (paired.code !== 0) throw new Error(`pairing failed: ${paired.stderr}`);
});

afterAll(async () => {
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await signaling?.stop();
  await rm(root, { recursive: true, force: true });
});

const fetchCli = (...args: string[]) =>
  runClientCli(['fetch', '--device', edge.peerId, ...args], { configHome });

describe('peerfetch fetch against the device API', () => {
  it('gets /api/device with real values of this machine', async () => {
    const result = await fetchCli('/api/device');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout.toString());
    expect(info.hostname).toBe(hostname());
    expect(info.memory.totalBytes).toBe(totalmem());
    expect(info.arch).toBe(process.arch);
    expect(info.uptimeSeconds).toBeGreaterThan(0);
    expect(info.disk.totalBytes).toBeGreaterThan(0);
    expect(info.agent.version).toBe(
      JSON.parse(await readFile('edge/package.json', 'utf8')).version,
    );
  });

  it('prints the head with -i and exits 22 with --fail on an error status', async () => {
    const head = await fetchCli('-i', '/api/device');
    expect(head.stdout.toString()).toMatch(
      /^HTTP\/1\.1 200[^\r]*\r\n(.+\r\n)*content-type: application\/json\r\n/,
    );
    const failed = await fetchCli('--fail', '/api/nothing');
    expect(failed.code).toBe(22);
    expect(failed.stdout.length).toBe(0);
    expect(failed.stderr).toMatch(/404/);
  });

  it('lists media newest first and serves a byte range', async () => {
    const listing = JSON.parse((await fetchCli('/api/media')).stdout.toString());
    const names = listing.items.map((i: { name: string }) => i.name).sort();
    expect(names).toEqual(['clip.mp4', 'holiday.jpg']);
    const range = await fetchCli('-i', '-H', 'Range: bytes=1000-1999', '/api/media/clip.mp4');
    expect(range.stderr).toBe('');
    expect(range.code).toBe(0);
    const text = range.stdout;
    const split = text.indexOf('\r\n\r\n');
    expect(text.subarray(0, split).toString()).toMatch(/^HTTP\/1\.1 206/);
    expect(text.subarray(0, split).toString()).toContain('content-range: bytes 1000-1999/300000');
    expect(text.subarray(split + 4)).toEqual(video.subarray(1000, 2000));
  });

  it('writes a thumbnail to a file with -o', async () => {
    const out = join(root, 'thumb.webp');
    const result = await fetchCli('-o', out, '/api/media/holiday.jpg/thumbnail?w=160');
    expect(result.code).toBe(0);
    const meta = await sharp(await readFile(out)).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 160, height: 120 });
  });

  it.each([
    '/api/media/..%2fsecret.txt',
    '/api/media/%2e%2e%2fsecret.txt',
    '/api/media/%2e%2e/%2e%2e/secret.txt',
    '/api/media/..%5csecret.txt',
    '/api/media/link.txt',
    '/api/media/%252e%252e%252fsecret.txt',
  ])('never leaves the media folder: %s', async (path) => {
    const result = await fetchCli('-i', path);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^HTTP\/1\.1 (400|404)/);
    expect(result.stdout.toString()).not.toContain('TOP SECRET');
  });

  it('exits 2 for a device it has not paired with', async () => {
    const result = await runClientCli(['fetch', '--device', 'edge-0000', '/api/device'], {
      configHome,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no paired device has the id or name "edge-0000"/);
  });

  it('exits 7 with a clear message when the signaling server does not answer', async () => {
    const result = await runClientCli(
      [
        'fetch',
        '--device',
        edge.peerId,
        '--signaling',
        'http://127.0.0.1:9',
        '--timeout',
        '8000',
        '/api/device',
      ],
      { configHome },
    );
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/127\.0\.0\.1:9/);
  });
});
