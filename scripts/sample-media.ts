/**
 * Sample pictures for a demo or test media folder, drawn with sharp: nothing is downloaded.
 * Twelve photos an hour apart, and one large noise image (about 16 MiB, incompressible)
 * that is big enough for a 10 MiB speed test in one range.
 */
import { mkdir, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';

const HUES = [
  '#f97316',
  '#06b6d4',
  '#84cc16',
  '#f43f5e',
  '#a855f7',
  '#0ea5e9',
  '#facc15',
  '#14b8a6',
];

export async function writeSampleMedia(dir: string, photos = 12): Promise<void> {
  const { default: sharp } = await import('sharp');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < photos; i += 1) {
    const from = HUES[i % HUES.length];
    const to = HUES[(i + 3) % HUES.length];
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

/** Writes the samples unless the folder already holds files. */
export async function ensureSampleMedia(dir: string): Promise<boolean> {
  const existing = await readdir(dir).catch(() => []);
  if (existing.length > 0) return false;
  await writeSampleMedia(dir);
  return true;
}
