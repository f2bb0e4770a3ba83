/**
 * Serves the built PWA. Caching: the service worker and index.html are never cached (a
 * stale one would pin users to an old release); content-hashed assets are immutable for a
 * year; everything else is revalidated. Unknown page paths fall back to index.html (the SPA
 * router takes over); unknown paths that look like files stay 404.
 */
import { join, posix, relative, sep } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';

/** Scripts a browser runs as (or to register) the service worker, and the app shell. */
const NEVER_CACHED = new Set([
  'index.html',
  'sw.js',
  'service-worker.js',
  'registerSW.js',
  'manifest.webmanifest',
]);

/**
 * Content-hashed files: Vite's `assets/name-<hash>.ext` (8+ base64url characters) and
 * Workbox's runtime `workbox-<hex>.js`. Only inside `assets/` so that a plain name such as
 * `icon-maskable.png` is not mistaken for a hash.
 */
const HASHED_ASSET = /^assets\/(?:.+\/)?[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const WORKBOX_RUNTIME = /^workbox-[0-9a-f]{8,}\.js$/;

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/** Cache-Control for a file, given its path relative to the PWA directory (`/` separators). */
export function cacheControlFor(relativePath: string): string {
  const name = posix.basename(relativePath);
  if (NEVER_CACHED.has(name)) return 'no-store';
  if (HASHED_ASSET.test(relativePath) || WORKBOX_RUNTIME.test(relativePath)) {
    return `public, max-age=${ONE_YEAR_SECONDS}, immutable`;
  }
  return 'no-cache';
}

export function staticSite(pwaDir: string): Router {
  const router = express.Router();
  router.use(
    express.static(pwaDir, {
      index: 'index.html',
      dotfiles: 'ignore',
      // We set Cache-Control ourselves, per file.
      cacheControl: false,
      setHeaders: (res, filePath) => {
        res.setHeader(
          'Cache-Control',
          cacheControlFor(relative(pwaDir, filePath).split(sep).join('/')),
        );
      },
    }),
  );
  router.use(spaFallback(join(pwaDir, 'index.html')));
  return router;
}

function spaFallback(indexPath: string): RequestHandler {
  return (req, res, next) => {
    const lastSegment = req.path.split('/').pop() ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || lastSegment.includes('.')) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(indexPath, (error) => {
      if (error) next(error);
    });
  };
}
