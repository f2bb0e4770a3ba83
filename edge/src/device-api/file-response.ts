/**
 * Serves a file the way browsers and media players expect: ETag and Last-Modified with
 * 304 answers, and single byte ranges (206, or 416 when out of bounds).
 */
import type { Stats } from 'node:fs';
import { problemResponse } from '@peerfetch/shared';
import fresh from 'fresh';
import rangeParser from 'range-parser';
import { fileStream } from './file-stream.js';

/**
 * A strong tag (inode, size, mtime). Not the `etag` package's: it makes weak tags from
 * stats, and If-Range (a player resuming a video) needs a strong one to match.
 */
export function etagOf(stats: Stats): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

/** 304 per RFC 9110 13.1 (If-None-Match, else If-Modified-Since): jshttp's `fresh`, as express. */
function notModified(request: Request, headers: Headers): boolean {
  return fresh(
    {
      'if-none-match': request.headers.get('if-none-match') ?? undefined,
      'if-modified-since': request.headers.get('if-modified-since') ?? undefined,
      'cache-control': request.headers.get('cache-control') ?? undefined,
    },
    {
      etag: headers.get('etag') ?? undefined,
      'last-modified': headers.get('last-modified') ?? undefined,
    },
  );
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One byte range of a `size`-byte file, parsed by `range-parser` (express's). Several
 * ranges (after merging), other units or bad syntax yield undefined: the whole file is sent,
 * as RFC 9110 allows.
 */
export function parseRange(header: string | null, size: number): RangeResult {
  if (!header) return undefined;
  const ranges = rangeParser(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}

/** If-Range: the range applies only while the representation is unchanged. */
function rangeStillValid(request: Request, etag: string, stats: Stats): boolean {
  const ifRange = request.headers.get('if-range');
  if (ifRange === null) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  const date = Date.parse(ifRange);
  return Number.isFinite(date) && Math.floor(stats.mtimeMs / 1000) * 1000 === date;
}

export interface FileToServe {
  path: string;
  stats: Stats;
  type: string;
}

export function fileResponse(request: Request, file: FileToServe): Response {
  const { stats } = file;
  const etag = etagOf(stats);
  const headers = new Headers({
    etag,
    'last-modified': stats.mtime.toUTCString(),
    'cache-control': 'private, no-cache',
    'accept-ranges': 'bytes',
  });
  if (notModified(request, headers)) return new Response(null, { status: 304, headers });

  headers.set('content-type', file.type);
  // An empty file has no byte to point at: it is always sent whole.
  const range =
    stats.size > 0 && rangeStillValid(request, etag, stats)
      ? parseRange(request.headers.get('range'), stats.size)
      : undefined;
  if (range === 'unsatisfiable') {
    return problemResponse(
      416,
      `range not satisfiable for a ${stats.size}-byte file`,
      {},
      {
        'content-range': `bytes */${stats.size}`,
      },
    );
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? stats.size - 1;
  headers.set('content-length', String(Math.max(0, end - start + 1)));
  if (range) headers.set('content-range', `bytes ${start}-${end}/${stats.size}`);
  const body =
    request.method === 'HEAD' || stats.size === 0 ? null : fileStream(file.path, start, end);
  return new Response(body, { status: range ? 206 : 200, headers });
}
