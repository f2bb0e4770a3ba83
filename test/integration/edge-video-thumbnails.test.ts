/**
 * Video poster frames over real WebRTC: an mp4 made here by ffmpeg gets a WebP thumbnail of
 * the frame at 10 % of its length, cached; a file ffmpeg cannot decode, and an edge without
 * ffmpeg on PATH, answer a play-glyph placeholder that says why.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAnswer, type MediaEdge, startMediaEdge } from '../helpers/media-edge.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let media: MediaEdge;
let root: string;
let mediaDir: string;

/**
 * A 4 s H.264 clip: blue for its first 0.2 s, then red. The poster frame (at 0.4 s) is red;
 * a tool that took the first frame would show blue.
 */
async function makeClip(path: string): Promise<void> {
  await promisify(execFile)('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=320x240:r=25:d=0.2'],
    ...['-f', 'lavfi', '-i', 'color=c=red:s=320x240:r=25:d=3.8'],
    ...['-filter_complex', 'concat=n=2:v=1:a=0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path],
  ]);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-video-'));
  mediaDir = join(root, 'media');
  await mkdir(mediaDir);
  await makeClip(join(mediaDir, 'clip.mp4'));
  await writeFile(join(mediaDir, 'broken.mp4'), randomBytes(64 * 1024));
  signaling = await startSignaling();
  media = await startMediaEdge(signaling.url, mediaDir);
}, 60_000);

afterAll(async () => {
  await media?.stop();
  await signaling?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('video poster frames', () => {
  it('lists a thumbnail for videos', async () => {
    const listing = JSON.parse((await media.fetch(['/api/media'])).stdout.toString());
    const clip = listing.items.find((i: { name: string }) => i.name === 'clip.mp4');
    expect(clip.thumbnailUrl).toBe('/api/media/clip.mp4/thumbnail');
  });

  it('makes a WebP of the frame at 10 %, scaled, and serves it from the cache after', async () => {
    const first = await fetchAnswer(media, ['/api/media/clip.mp4/thumbnail?w=160']);
    expect(first.status, first.body.toString()).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/webp');
    expect(first.headers.has('peerfetch-placeholder')).toBe(false);
    const image = sharp(first.body);
    expect(await image.metadata()).toMatchObject({ format: 'webp', width: 160, height: 120 });
    const [r, g, b] = (await image.stats()).channels.map((c) => c.mean);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);

    const cached = await readdir(join(media.edge.stateDir, 'thumbnails'));
    expect(cached).toHaveLength(1);
    const again = await fetchAnswer(media, ['/api/media/clip.mp4/thumbnail?w=160']);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(again.body.equals(first.body)).toBe(true);
    expect(await readdir(join(media.edge.stateDir, 'thumbnails'))).toEqual(cached);
  });

  it('answers a placeholder for a video ffmpeg cannot decode', async () => {
    const answer = await fetchAnswer(media, ['/api/media/broken.mp4/thumbnail']);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('image/svg+xml');
    expect(answer.headers.get('peerfetch-placeholder')).toBe('ffmpeg-failed');
    expect(await sharp(answer.body).metadata()).toMatchObject({ format: 'svg' });
  });

  it('answers a placeholder when ffmpeg is not on PATH', async () => {
    // The edge runs with PATH naming only a folder without ffmpeg: the spawn really fails.
    const emptyBin = join(root, 'empty-bin');
    await mkdir(emptyBin);
    const without = await startMediaEdge(signaling.url, mediaDir, { env: { PATH: emptyBin } });
    try {
      const answer = await fetchAnswer(without, ['/api/media/clip.mp4/thumbnail?w=160']);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('image/svg+xml');
      expect(answer.headers.get('peerfetch-placeholder')).toBe('ffmpeg-missing');
      expect(answer.headers.get('cache-control')).toBe('private, max-age=60');
      expect(answer.body.toString()).toContain('<svg');
      const cache = join(without.edge.stateDir, 'thumbnails');
      expect(await readdir(cache).catch(() => [])).toEqual([]);
    } finally {
      await without.stop();
    }
  }, 60_000);
});
