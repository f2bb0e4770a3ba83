/**
 * The service-worker bridge with a real edge, in Chromium: `peer/<device id>/<path>` answered
 * from the device through the window that holds its connection. The same requests through the
 * bridge and through the page's own device fetch give the same status, headers and bytes; a
 * 64 MiB H.264 video plays, seeks to half way and plays on while the edge reads a fraction of
 * it; a 256 MiB download streams to a file with the page's heap bounded; an abort reaches
 * the upstream.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchBrowser } from '../helpers/browser.js';
import { makeStateDir, removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type StartedHttpbin, startHttpbin } from '../helpers/httpbin.js';
import { ensurePwaBuilt, VIEWPORTS, writeSampleMedia } from '../helpers/pwa.js';
import { pairThroughLink } from '../helpers/pwa-stack.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { type StartedUpstream, startUpstream } from '../helpers/upstream.js';

const KEY = 'peerjs';
const MiB = 1024 * 1024;
const VIDEO = { seconds: 300, width: 640, height: 360, fps: 25, bytes: 64 * MiB };
const DOWNLOAD_BYTES = 256 * MiB;

let signaling: StartedSignaling;
let edge: StartedEdge;
let httpbin: StartedHttpbin;
let upstream: StartedUpstream;
let stateDir: string;
let mediaDir: string;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
let deviceId: string;

/**
 * A 64 MiB H.264 MP4 (index first, so it plays while it streams), made once per parameters
 * and kept in the temporary directory: noise over testsrc2 keeps x264 at the target rate.
 */
async function sampleVideo(): Promise<string> {
  const { seconds, width, height, fps, bytes } = VIDEO;
  const path = join(tmpdir(), `pf-bridge-video-${seconds}s-${width}x${height}-${fps}-${bytes}.mp4`);
  if (existsSync(path)) return path;
  const kbits = Math.floor((bytes * 8) / seconds / 1000);
  const partial = `${path}.${process.pid}.part.mp4`;
  await promisify(execFile)(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`],
      ...['-vf', 'noise=alls=40:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast'],
      ...['-b:v', `${kbits}k`, '-maxrate', `${kbits}k`, '-bufsize', `${kbits}k`],
      ...['-pix_fmt', 'yuv420p', '-movflags', '+faststart', partial],
    ],
    { timeout: 600_000 },
  );
  await copyFile(partial, path);
  await rm(partial, { force: true });
  return path;
}

/** A file of random bytes, written in 8 MiB pieces. */
async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  for (let left = bytes; left > 0; left -= 8 * MiB)
    await file.write(randomBytes(Math.min(8 * MiB, left)));
  await file.close();
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Bytes the edge process has read through read()/pread(): its files (sockets of WebRTC use recvmsg). */
async function edgeReadBytes(): Promise<number> {
  const io = await readFile(`/proc/${edge.process.pid}/io`, 'utf8');
  return Number(/^rchar: (\d+)$/m.exec(io)?.[1]);
}

beforeAll(async () => {
  const pwaDir = await ensurePwaBuilt();
  mediaDir = await mkdtemp(join(tmpdir(), 'pf-bridge-media-'));
  await writeSampleMedia(mediaDir, 2);
  await copyFile(await sampleVideo(), join(mediaDir, 'sample.mp4'));
  await writeRandomFile(join(mediaDir, 'big.bin'), DOWNLOAD_BYTES);
  httpbin = await startHttpbin();
  upstream = await startUpstream();
  signaling = await startSignaling({ PWA_DIR: pwaDir, PEER_KEY: KEY });
  stateDir = await makeStateDir();
  edge = await startEdge({
    signalingUrl: signaling.url,
    stateDir,
    mediaDir,
    name: 'Bridge Pi',
    routes: { '/hb': httpbin.url, '/up': upstream.url },
    env: { PEERFETCH_SIGNALING_KEY: KEY },
  });
  browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
  context = await browser.browser.newContext({ viewport: VIEWPORTS[1], acceptDownloads: true });
  page = await context.newPage();
  deviceId = await pairThroughLink(page, edge, 'Bridge Pi');
  // The first service worker claims the window; from then on it answers bridge URLs.
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, {
    timeout: 30_000,
  });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await edge?.stop();
  await signaling?.stop();
  await httpbin?.stop();
  await upstream?.stop();
  if (stateDir) await removeStateDir(stateDir);
  if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: [string, string][];
  sha256: string;
  bytes: number;
}

/** One request through the bridge and through `window.peerfetch.fetch`, both answers read whole. */
function bothWays(
  path: string,
  given: { method?: string; headers?: Record<string, string>; body?: string },
) {
  // fetch() sends `accept: */*` when the caller sets none, and the worker sees it; the page's
  // device fetch adds nothing. Both get it explicitly, so the device sees the same request.
  const init = { ...given, headers: { accept: '*/*', ...given.headers } };
  return page.evaluate(
    async ({ deviceId, path, init }) => {
      const read = async (response: Response) => {
        const bytes = new Uint8Array(await response.arrayBuffer());
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        return {
          status: response.status,
          headers: [...response.headers].sort(([a], [b]) => a.localeCompare(b)),
          sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
          bytes: bytes.byteLength,
        };
      };
      const direct = (window as unknown as { peerfetch: { fetch: typeof fetch } }).peerfetch;
      const viaPage = await read(
        await (
          direct.fetch as unknown as (id: string, p: string, i: RequestInit) => Promise<Response>
        )(deviceId, path, init),
      );
      const viaBridge = await read(
        await fetch(`peer/${encodeURIComponent(deviceId)}${path}`, init),
      );
      return { viaPage, viaBridge };
    },
    { deviceId, path, init },
  ) as Promise<{ viaPage: Answer; viaBridge: Answer }>;
}

/** Headers that differ between two answers by when they were made. */
const withoutDate = (a: Answer) => ({ ...a, headers: a.headers.filter(([n]) => n !== 'date') });

describe('the service-worker bridge', () => {
  it('answers like the page’s own device fetch, case by case', async () => {
    const photo = '/api/media/photo-01.jpg';
    const etag = (await bothWays(photo, {})).viaPage.headers.find(([n]) => n === 'etag')?.[1];
    expect(etag).toBeTruthy();
    const cases: [string, string, Parameters<typeof bothWays>[1], number][] = [
      ['GET JSON', '/up/json?n=3', {}, 200],
      ['GET a photo', photo, {}, 200],
      ['HEAD', photo, { method: 'HEAD' }, 200],
      ['Range', photo, { headers: { range: 'bytes=100-1099' } }, 206],
      ['Range past the end', photo, { headers: { range: 'bytes=99999999-' } }, 416],
      ['If-None-Match', photo, { headers: { 'if-none-match': etag! } }, 304],
      ['missing file', '/api/media/nope.jpg', {}, 404],
      [
        'POST with a body and custom headers',
        '/up/echo',
        {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'x-custom': 'yes' },
          body: 'hello, device',
        },
        200,
      ],
      ['PUT to httpbin', '/hb/put', { method: 'PUT', body: 'x'.repeat(70_000) }, 200],
      ['a status from upstream', '/hb/status/418', {}, 418],
    ];
    for (const [name, path, init, status] of cases) {
      const { viaPage, viaBridge } = await bothWays(path, init);
      expect(viaPage.status, name).toBe(status);
      expect(withoutDate(viaBridge), name).toEqual(withoutDate(viaPage));
    }
  });

  it('answers the 404 problem for a device this app is not paired with', async () => {
    const answer = await page.evaluate(async () => {
      const response = await fetch('peer/not-a-device/api/device');
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: await response.json(),
      };
    });
    expect(answer.status).toBe(404);
    expect(answer.type).toBe('application/problem+json');
    expect(answer.body.detail).toMatch(/not paired with a device whose id is not-a-device/);
  });

  it('follows a redirect to a path on the device through the bridge', async () => {
    const answer = await page.evaluate(async (deviceId) => {
      const response = await fetch(
        `peer/${encodeURIComponent(deviceId)}/hb/redirect-to?url=%2Fget`,
      );
      return { status: response.status, url: response.url, body: await response.json() };
    }, deviceId);
    expect(answer.status).toBe(200);
    expect(new URL(answer.url).pathname).toBe(`/peer/${encodeURIComponent(deviceId)}/hb/get`);
  });

  it('plays a 64 MiB H.264 video, seeks to half way and plays on, reading under 30 % of it', async () => {
    const size = (await stat(join(mediaDir, 'sample.mp4'))).size;
    expect(size).toBeGreaterThan(60 * MiB);
    await page.goto(`${signaling.url}/#/devices/${encodeURIComponent(deviceId)}/media`);
    // The edge reads files for thumbnails too (the video's poster frame): let those finish first.
    await expect
      .poll(
        () =>
          page.evaluate(
            () =>
              [
                ...document.querySelectorAll<HTMLImageElement>('img[data-testid="media-thumb"]'),
              ].filter((img) => img.complete && img.naturalWidth > 0).length,
          ),
        { timeout: 60_000 },
      )
      .toBe(3);
    const readBefore = await edgeReadBytes();
    await page.getByRole('button', { name: /^Open sample\.mp4/ }).click();
    const video = page.locator('dialog[data-testid="media-viewer"] video');
    await video.waitFor({ timeout: 30_000 });
    expect(await video.getAttribute('src')).toBe(
      `peer/${encodeURIComponent(deviceId)}/api/media/sample.mp4`,
    );
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 30_000 })
      .toBeGreaterThan(1);
    const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
    expect(duration).toBeCloseTo(VIDEO.seconds, 0);
    const seekedAt = Date.now();
    await video.evaluate((v: HTMLVideoElement) => {
      v.currentTime = v.duration / 2;
    });
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 30_000 })
      .toBeGreaterThan(duration / 2 + 1);
    const playingOnMs = Date.now() - seekedAt;
    const read = (await edgeReadBytes()) - readBefore;
    await page.keyboard.press('Escape');
    console.log(
      `video: ${(size / MiB).toFixed(1)} MiB, played on 1 s past the seek ${playingOnMs} ms after it; the edge read ${(read / MiB).toFixed(1)} MiB (${((read / size) * 100).toFixed(1)} %)`,
    );
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(0.3 * size);
  });

  it('downloads 256 MiB through the bridge to a file, the page heap staying under 1/8 of it', async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
    };
    await page.goto(`${signaling.url}/#/devices/${encodeURIComponent(deviceId)}/media`);
    await page.getByRole('button', { name: /^Open big\.bin/ }).click();
    const link = page.getByTestId('media-download');
    expect(await link.getAttribute('href')).toBe(
      `peer-download/${encodeURIComponent(deviceId)}/api/media/big.bin`,
    );
    const before = await heap();
    let peak = before;
    const downloading = page.waitForEvent('download', { timeout: 60_000 });
    await link.click();
    const download = await downloading;
    let finished = false;
    const path = download.path().finally(() => {
      finished = true;
    });
    while (!finished) {
      peak = Math.max(peak, await heap());
      await new Promise((r) => setTimeout(r, 250));
    }
    const saved = await path;
    expect(download.suggestedFilename()).toBe('big.bin');
    expect((await stat(saved)).size).toBe(DOWNLOAD_BYTES);
    expect(await sha256File(saved)).toBe(await sha256File(join(mediaDir, 'big.bin')));
    console.log(
      `download: 256 MiB; page JS heap ${(before / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB`,
    );
    expect(peak - before).toBeLessThan(DOWNLOAD_BYTES / 8);
    await cdp.detach();
  });

  it('cancels at the upstream when the page aborts a bridge fetch', async () => {
    const closed = upstream.nextClose('/drip');
    const arrived = upstream.nextRequest('/drip');
    await page.evaluate(async (deviceId) => {
      const abort = new AbortController();
      const response = await fetch(`peer/${encodeURIComponent(deviceId)}/up/drip`, {
        signal: abort.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      abort.abort();
    }, deviceId);
    await arrived;
    await closed;
  });
});
