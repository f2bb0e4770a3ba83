/**
 * Serves a file the way browsers and media players expect: ETag and Last-Modified with
 * 304 answers, and single byte ranges (206, or 416 when out of bounds).
 */
import type { Stats } from 'node:fs';
import { problemResponse } from '@peerfetch/shared';
import { fileStream } from './file-stream.js';

export function etagOf(stats: Stats): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

/** Weak comparison (RFC 9110 8.8.3.2) of an If-None-Match list against our tag. */
function matchesAny(header: string, etag: string): boolean {
  const bare = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === bare);
}

function notModified(request: Request, etag: string, stats: Stats): boolean {
  const inm = request.headers.get('if-none-match');
  if (inm !== null) return matchesAny(inm, etag);
  const ims = Date.parse(request.headers.get('if-modified-since') ?? '');
  return Number.isFinite(ims) && Math.floor(stats.mtimeMs / 1000) * 1000 <= ims;
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Parses a single `bytes=` range against `size`. Anything else (several ranges, other
 * units, bad syntax) yields undefined: the whole file is sent, as RFC 9110 allows.
 */
export function parseRange(header: string | null, size: number): RangeResult {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/);
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
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
  if (notModified(request, etag, stats)) return new Response(null, { status: 304, headers });

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
