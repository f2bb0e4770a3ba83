/**
 * What a video's thumbnail is when no poster frame can be made (no ffmpeg, or a file it
 * cannot decode): a dark tile with a play glyph, so the grid still reads as "a video here"
 * instead of a broken image. Served with 200 so an `<img>` shows it, marked by a header so an
 * app can tell, and cached briefly: installing ffmpeg shows real frames within a minute.
 */
import type { PosterError } from './video-poster.js';

/** Header naming why the thumbnail is a placeholder (`ffmpeg-missing`, `ffmpeg-failed`). */
export const PLACEHOLDER_HEADER = 'peerfetch-placeholder';

/** 16:9 like most videos; scales to any width as SVG. */
const PLAY_TILE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90" role="img" aria-label="video">
<rect width="160" height="90" fill="#263238"/>
<circle cx="80" cy="45" r="22" fill="#ffffff" fill-opacity="0.85"/>
<path d="M73 33 L93 45 L73 57 Z" fill="#263238"/>
</svg>
`;

export function videoPlaceholder(request: Request, error: PosterError): Response {
  return new Response(request.method === 'HEAD' ? null : PLAY_TILE_SVG, {
    headers: {
      'content-type': 'image/svg+xml',
      'cache-control': 'private, max-age=60',
      [PLACEHOLDER_HEADER]: error.reason,
    },
  });
}
