import { describe, expect, it } from 'vitest';
import { parseMediaPage, thumbnailPath } from './media';

describe('parseMediaPage', () => {
  it('reads the edge page and keeps its next link', () => {
    const page = parseMediaPage({
      items: [
        {
          name: 'a b.jpg',
          size: 10,
          type: 'image/jpeg',
          modified: '2026-01-01T00:00:00.000Z',
          url: '/api/media/a%20b.jpg',
          thumbnailUrl: '/api/media/a%20b.jpg/thumbnail',
        },
      ],
      total: 61,
      offset: 0,
      limit: 60,
      next: '/api/media?offset=60&limit=60',
    });
    expect(page.total).toBe(61);
    expect(page.next).toBe('/api/media?offset=60&limit=60');
    expect(page.items[0]?.thumbnailUrl).toBe('/api/media/a%20b.jpg/thumbnail');
  });
  it('skips malformed items, fills defaults, and refuses non-relative next links', () => {
    const page = parseMediaPage({
      items: [null, { size: 1 }, { name: 'v.mp4' }],
      next: 'https://evil.example/',
    });
    expect(page.items).toEqual([
      {
        name: 'v.mp4',
        size: 0,
        type: 'application/octet-stream',
        modified: '',
        url: '/api/media/v.mp4',
        thumbnailUrl: null,
      },
    ]);
    expect(page.next).toBeNull();
  });
  it('explains an answer it cannot read', () => {
    expect(() => parseMediaPage({ files: [] })).toThrow(/does not understand/);
  });
});

describe('thumbnailPath', () => {
  const item = {
    name: 'a.jpg',
    size: 1,
    type: 'image/jpeg',
    modified: '',
    url: '/api/media/a.jpg',
    thumbnailUrl: '/api/media/a.jpg/thumbnail',
  };
  it('asks for the tile width in device pixels, rounded to 32, within the edge limits', () => {
    expect(thumbnailPath(item, 128, 3)).toBe('/api/media/a.jpg/thumbnail?w=384');
    expect(thumbnailPath(item, 2000, 2)).toBe('/api/media/a.jpg/thumbnail?w=1024');
    expect(thumbnailPath(item, 1, 1)).toBe('/api/media/a.jpg/thumbnail?w=16');
    expect(thumbnailPath({ ...item, thumbnailUrl: null }, 100, 1)).toBeNull();
  });
});
