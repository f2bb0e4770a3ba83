/**
 * The built-in device API, served in-process as a route handler:
 *   GET /api/device                        facts about this machine
 *   GET /api/media?limit=&offset=          files of the media folder, newest first
 *   GET /api/media/{name}                  one file (Range, ETag, Last-Modified)
 *   GET /api/media/{name}/thumbnail?w=     WebP thumbnail of a JPEG/PNG/WebP image
 */
import { join } from 'node:path';
import { jsonResponse, problemResponse } from '@peerfetch/shared';
import type { RouteHandler } from '../router/router.js';
import { collectDeviceInfo, type DeviceInfoPaths } from './device-info.js';
import { fileResponse } from './file-response.js';
import { createMediaLibrary } from './media-library.js';
import { listMedia } from './media-listing.js';
import {
  createThumbnailer,
  THUMBNAIL_DEFAULT_WIDTH,
  THUMBNAIL_MAX_WIDTH,
  THUMBNAIL_MIN_WIDTH,
  THUMBNAIL_SOURCE_TYPES,
  ThumbnailError,
} from './thumbnails.js';

export interface DeviceApiOptions {
  stateDir: string;
  /** Agent version reported by `/api/device`. */
  version: string;
  /** Folder served by `/api/media`; the media endpoints answer 404 without one. */
  mediaDir?: string;
  /** Hardware fact locations (tests point these at a fake tree). */
  paths?: Partial<DeviceInfoPaths>;
}

function json(value: unknown, status = 200): Response {
  return jsonResponse(value, { status, headers: { 'cache-control': 'no-store' } });
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function createDeviceApi(options: DeviceApiOptions): RouteHandler {
  const library = options.mediaDir ? createMediaLibrary(options.mediaDir) : undefined;
  const thumbnails = createThumbnailer(join(options.stateDir, 'thumbnails'));

  async function media(request: Request, segments: string[], url: URL): Promise<Response> {
    if (!library) return problemResponse(404, 'no media folder is configured on this device');
    if (segments.length === 0) return json(await listMedia(library, url.searchParams));
    const name = decodeSegment(segments[0]!);
    const file = name === undefined ? undefined : await library.resolve(name);
    if (!file)
      return problemResponse(404, `no media file named ${JSON.stringify(name ?? segments[0])}`);
    if (segments.length === 1) return fileResponse(request, file);
    if (segments.length !== 2 || segments[1] !== 'thumbnail') {
      return problemResponse(404, `no such media resource`);
    }
    if (!THUMBNAIL_SOURCE_TYPES.has(file.type)) {
      return problemResponse(415, `thumbnails are made only from JPEG, PNG and WebP images`, {
        title: 'Unsupported Media Type',
      });
    }
    const w = url.searchParams.get('w');
    const width = w === null ? THUMBNAIL_DEFAULT_WIDTH : Number(w);
    if (!Number.isInteger(width) || width < THUMBNAIL_MIN_WIDTH || width > THUMBNAIL_MAX_WIDTH) {
      return problemResponse(
        400,
        `w must be a whole number from ${THUMBNAIL_MIN_WIDTH} to ${THUMBNAIL_MAX_WIDTH}`,
      );
    }
    try {
      return fileResponse(request, await thumbnails.thumbnail(file, width));
    } catch (error) {
      if (error instanceof ThumbnailError) {
        return problemResponse(422, error.message, { title: 'Unprocessable Content' });
      }
      throw error;
    }
  }

  return async (request, rest) => {
    const url = new URL(rest, 'http://device.invalid');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'api') return problemResponse(404, `no route for ${url.pathname}`);
    const isDevice = segments.length === 2 && segments[1] === 'device';
    const isMedia = segments[1] === 'media';
    if (!isDevice && !isMedia) return problemResponse(404, `no route for ${url.pathname}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      await request.body?.cancel();
      return problemResponse(
        405,
        `${request.method} is not allowed here`,
        {},
        { allow: 'GET, HEAD' },
      );
    }
    if (isDevice) {
      return json(
        await collectDeviceInfo({
          stateDir: options.stateDir,
          version: options.version,
          paths: options.paths,
        }),
      );
    }
    return media(request, segments.slice(2), url);
  };
}
