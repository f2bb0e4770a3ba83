import type { MediaItem, MediaPage } from '@peerfetch/shared';

export type { MediaItem, MediaPage };

/** The first page's path. */
export function firstMediaPage(limit: number): string {
  return `/api/media?offset=0&limit=${limit}`;
}

/** Reads a `/api/media` answer, skipping malformed items rather than failing the page. */
export function parseMediaPage(body: unknown): MediaPage {
  if (
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray((body as { items?: unknown }).items)
  ) {
    throw new Error('The device answered the media list in a form this app does not understand.');
  }
  const raw = body as {
    items: unknown[];
    total?: unknown;
    offset?: unknown;
    limit?: unknown;
    next?: unknown;
  };
  const items: MediaItem[] = [];
  for (const entry of raw.items) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== 'string') continue;
    const url = typeof e.url === 'string' ? e.url : `/api/media/${encodeURIComponent(e.name)}`;
    items.push({
      name: e.name,
      size: typeof e.size === 'number' ? e.size : 0,
      type: typeof e.type === 'string' ? e.type : 'application/octet-stream',
      modified: typeof e.modified === 'string' ? e.modified : '',
      url,
      thumbnailUrl: typeof e.thumbnailUrl === 'string' ? e.thumbnailUrl : null,
    });
  }
  return {
    items,
    total: typeof raw.total === 'number' ? raw.total : items.length,
    offset: typeof raw.offset === 'number' ? raw.offset : 0,
    limit: typeof raw.limit === 'number' ? raw.limit : items.length,
    next: typeof raw.next === 'string' && raw.next.startsWith('/') ? raw.next : null,
  };
}

/** Thumbnail path at a width fit for the screen's pixel density (the edge allows 16..1024). */
export function thumbnailPath(
  item: MediaItem,
  cssWidth: number,
  pixelRatio: number,
): string | null {
  if (!item.thumbnailUrl) return null;
  const width = Math.min(1024, Math.max(16, Math.round((cssWidth * pixelRatio) / 32) * 32));
  return `${item.thumbnailUrl}?w=${width}`;
}

export function mediaKind(type: string): 'image' | 'video' | 'audio' | 'other' {
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'other';
}
