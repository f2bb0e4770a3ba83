/**
 * Helpers for end-to-end tests of the PWA: its build, and screenshots written where the
 * project keeps them (`test-results/screenshots/`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built PWA that the signaling server serves. */
export const PWA_DIST = join(repoRoot, 'pwa', 'dist');
export const SCREENSHOT_DIR = join(repoRoot, 'test-results', 'screenshots');

/** The two sizes every screen is shown at: a phone and a laptop. */
export const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
] as const;

/** Builds the PWA unless `npm run build` already did. */
export async function ensurePwaBuilt(): Promise<string> {
  if (!existsSync(join(PWA_DIST, 'index.html'))) {
    await promisify(execFile)('npm', ['run', 'build', '-w', 'pwa'], {
      cwd: repoRoot,
      timeout: 240_000,
    });
  }
  return PWA_DIST;
}

/** Saves `name-WxH.png` of the whole page at its current viewport. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const size = page.viewportSize();
  const path = join(SCREENSHOT_DIR, `${name}-${size?.width}x${size?.height}.png`);
  // Let fades and spinners settle so the picture shows the steady screen.
  await page.waitForTimeout(400);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Sample pictures for the media grid and the speed test (the same ones `npm start` uses). */
export { writeSampleMedia } from '../../scripts/sample-media.js';

/** What the edge logs when its pairing window opens (first start with nobody paired, `pair`). */
export interface PairingWindowLog {
  code: string;
  /** `<signaling base URL>/#/pair?device=<edge id>&code=<code>`: what the QR code encodes. */
  link: string;
  expiresAt: number;
}

/** The pairing window the edge opened (its log line, past or future). */
export async function pairingWindowOf(edge: {
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}): Promise<PairingWindowLog> {
  const line = await edge.waitForLog((l) => l.msg === 'pairing window open', 20_000);
  const code = String(line.code ?? '');
  if (!/^\d{6}$/.test(code))
    throw new Error(`the edge logged a pairing code that is not 6 digits: ${code}`);
  return { code, link: String(line.link ?? ''), expiresAt: Number(line.expiresAt) };
}

/** A 6-digit code that is not `code`. */
export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/** Saves `name` at both viewports, leaving the page at the first (phone) size. */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  for (const viewport of [...VIEWPORTS].reverse()) {
    await page.setViewportSize(viewport);
    await screenshot(page, name);
  }
}

/**
 * Swaps the saved pairing key in the app's IndexedDB for a random one (as if the device
 * answering under this id were someone else), or puts the real one back. The real key is
 * kept, still non-extractable, in a database of the test's own.
 */
export async function swapDeviceKey(page: Page, id: string, to: 'random' | 'real'): Promise<void> {
  await page.evaluate(
    async ({ id, to }) => {
      const open = (name: string, upgrade?: (db: IDBDatabase) => void) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name, 1);
          request.onupgradeneeded = () => upgrade?.(request.result);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const run = <T>(request: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const app = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('peerfetch');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const stash = await open('pf-e2e-stash', (db) => db.createObjectStore('keys'));
      const record = await run(app.transaction('devices').objectStore('devices').get(id));
      if (!record?.key) throw new Error(`no saved key for ${id}`);
      if (to === 'random') {
        await run(stash.transaction('keys', 'readwrite').objectStore('keys').put(record.key, id));
        record.key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
          'sign',
          'verify',
        ]);
      } else {
        record.key = await run(stash.transaction('keys').objectStore('keys').get(id));
      }
      await run(app.transaction('devices', 'readwrite').objectStore('devices').put(record));
      app.close();
      stash.close();
    },
    { id, to },
  );
}
