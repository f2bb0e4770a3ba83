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

/**
 * Writes a dozen colourful JPEG photos (newest first, an hour apart) and one large PNG for
 * the speed test into `dir`. Generated here with sharp: nothing is downloaded.
 */
export async function writeSampleMedia(dir: string, photos = 12): Promise<void> {
  const { default: sharp } = await import('sharp');
  const { utimes } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const hues = [
    '#f97316',
    '#06b6d4',
    '#84cc16',
    '#f43f5e',
    '#a855f7',
    '#0ea5e9',
    '#facc15',
    '#14b8a6',
  ];
  for (let i = 0; i < photos; i += 1) {
    const from = hues[i % hues.length];
    const to = hues[(i + 3) % hues.length];
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>
      <rect width="100%" height="100%" fill="url(#g)"/>
      <circle cx="${250 + i * 60}" cy="${300 + (i % 3) * 110}" r="${140 + i * 8}" fill="#fff" fill-opacity="0.25"/>
      <path d="M0 ${680 - i * 12} Q 600 ${520 + i * 10} 1200 ${700 - i * 8} V 900 H 0 Z" fill="#000" fill-opacity="0.22"/>
    </svg>`;
    const file = join(dir, `photo-${String(i + 1).padStart(2, '0')}.jpg`);
    await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toFile(file);
    const when = new Date(Date.now() - i * 3_600_000);
    await utimes(file, when, when);
  }
  // Noise does not compress: about 16 MiB, enough for a 10 MiB speed test in one range.
  const large = join(dir, 'noise-large.png');
  await sharp({
    create: {
      width: 3000,
      height: 2000,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .png()
    .toFile(large);
  const old = new Date(Date.now() - 30 * 86_400_000);
  await utimes(large, old, old);
}
