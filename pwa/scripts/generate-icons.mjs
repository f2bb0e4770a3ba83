// Renders the app icons from scripts/icon.svg with sharp (run `npm run icons -w pwa` after
// editing the SVG). The outputs are committed so building the app never needs sharp.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'public', 'icons');
const template = await readFile(join(here, 'icon.svg'), 'utf8');

/** The plain icon: the mark at full size. */
const plain = Buffer.from(template.replace('MARK_TRANSFORM', ''));
/** Maskable icons may be cropped to a circle: keep the mark inside the central safe zone. */
const safe = Buffer.from(
  template.replace('MARK_TRANSFORM', 'translate(256 256) scale(0.78) translate(-256 -256)'),
);

/** Ordinary icons get rounded corners so they look finished on desktops and in tabs. */
function rounded(size) {
  const r = Math.round(size * 0.22);
  const mask = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" rx="${r}"/></svg>`,
  );
  return sharp(plain)
    .resize(size, size)
    .composite([{ input: mask, blend: 'dest-in' }])
    .png();
}

await mkdir(outDir, { recursive: true });
await rounded(192).toFile(join(outDir, 'icon-192.png'));
await rounded(512).toFile(join(outDir, 'icon-512.png'));
await rounded(64).toFile(join(outDir, 'favicon-64.png'));
await sharp(safe).resize(512, 512).png().toFile(join(outDir, 'icon-maskable-512.png'));
await sharp(safe).resize(180, 180).png().toFile(join(outDir, 'apple-touch-icon-180.png'));
console.log(`icons written to ${outDir}`);
