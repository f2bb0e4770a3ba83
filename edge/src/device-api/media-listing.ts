/** `GET /api/media`: one page of the media folder, newest first. */
import type { MediaItem, MediaPage } from '@peerfetch/shared';
import type { MediaFile, MediaLibrary } from './media-library.js';
import { hasThumbnail } from './thumbnails.js';

/** Page size when `limit` is absent, and the largest one allowed. */
export const MEDIA_PAGE_DEFAULT = 50;
export const MEDIA_PAGE_MAX = 500;

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  const n = raw === null ? fallback : Number(raw);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
}

/** How the API describes one file, in listings and upload answers. */
export function mediaItemOf(file: MediaFile): MediaItem {
  const url = `/api/media/${encodeURIComponent(file.name)}`;
  return {
    name: file.name,
    size: file.stats.size,
    type: file.type,
    modified: file.stats.mtime.toISOString(),
    url,
    thumbnailUrl: hasThumbnail(file.type) ? `${url}/thumbnail` : null,
  };
}

export async function listMedia(
  library: MediaLibrary,
  params: URLSearchParams,
): Promise<MediaPage> {
  const limit = Math.max(1, intParam(params, 'limit', MEDIA_PAGE_DEFAULT, MEDIA_PAGE_MAX));
  const offset = intParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const files = (await library.list()).sort(
    (a, b) => b.stats.mtimeMs - a.stats.mtimeMs || a.name.localeCompare(b.name),
  );
  const items = files.slice(offset, offset + limit).map(mediaItemOf);
  const nextOffset = offset + items.length;
  return {
    items,
    total: files.length,
    offset,
    limit,
    next: nextOffset < files.length ? `/api/media?offset=${nextOffset}&limit=${limit}` : null,
  };
}
