import { describe, expect, it } from 'vitest';
import { cacheControlFor } from './static-site.js';

describe('cacheControlFor', () => {
  it('never caches the app shell or the service worker', () => {
    for (const path of [
      'index.html',
      'sw.js',
      'registerSW.js',
      'manifest.webmanifest',
      'nested/index.html',
    ]) {
      expect(cacheControlFor(path)).toBe('no-store');
    }
  });

  it('caches content-hashed assets for a year', () => {
    for (const path of [
      'assets/index-BdD3x_9a.js',
      'assets/style-Ab12Cd34.css',
      'assets/fonts/inter-Xy12_ab3.woff2',
      'workbox-5ffe50d4.js',
    ]) {
      expect(cacheControlFor(path)).toBe('public, max-age=31536000, immutable');
    }
  });

  it('revalidates everything else', () => {
    for (const path of [
      'favicon.ico',
      'icons/icon-192.png',
      'icon-maskable.png',
      'robots.txt',
      'assets/logo.svg',
    ]) {
      expect(cacheControlFor(path)).toBe('no-cache');
    }
  });
});
