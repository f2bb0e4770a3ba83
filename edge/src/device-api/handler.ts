/**
 * The built-in device API, served in-process as a route handler:
 *   GET /api/device                        facts about this machine
 *   GET /api/media?limit=&offset=          files of the media folder, newest first
 *   GET /api/media/{name}                  one file (Range, ETag, Last-Modified)
 *   POST /api/media?name=                  upload, stored under a free variant of the name
 *   PUT /api/media/{name}                  upload, created as exactly that name (uploads.ts)
 *   GET /api/media/{name}/thumbnail?w=     WebP thumbnail of an image, poster frame of a video
 */
import { join } from 'node:path';
import { jsonResponse, problemResponse } from '@peerfetch/shared';
import type { RouteHandler } from '../router/router.js';
import { removeStaleTempFiles, STREAM_TEMP_NAME } from '../state/atomic-write.js';
import { collectDeviceInfo, type DeviceInfoPaths } from './device-info.js';
import { fileResponse } from './file-response.js';
import { createMediaLibrary } from './media-library.js';
import { listMedia } from './media-listing.js';
import {
  createThumbnailer,
  hasThumbnail,
  THUMBNAIL_DEFAULT_WIDTH,
  THUMBNAIL_MAX_WIDTH,
  THUMBNAIL_MIN_WIDTH,
  ThumbnailError,
} from './thumbnails.js';
import { receiveUpload } from './uploads.js';
import { videoPlaceholder } from './video-placeholder.js';
import { PosterError } from './video-poster.js';

/** Largest upload when none is configured: the edge's default request body limit. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface DeviceApiOptions {
  stateDir: string;
  /** Agent version reported by `/api/device`. */
  version: string;
  /** Folder served by `/api/media`; the media endpoints answer 404 without one. */
  mediaDir?: string;
  /** Largest upload into the media folder, in bytes. Default DEFAULT_MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
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

/** Methods each kind of path answers; others get 405 with this `allow`. */
const ALLOWED = {
  device: 'GET, HEAD',
  collection: 'GET, HEAD, POST',
  file: 'GET, HEAD, PUT',
  thumbnail: 'GET, HEAD',
} as const;

function allowedMethods(segments: string[]): string {
  if (segments[1] === 'device') return ALLOWED.device;
  if (segments.length === 2) return ALLOWED.collection;
  return segments.length === 3 ? ALLOWED.file : ALLOWED.thumbnail;
}

export function createDeviceApi(options: DeviceApiOptions): RouteHandler {
  const mediaDir = options.mediaDir;
  const library = mediaDir ? createMediaLibrary(mediaDir) : undefined;
  const thumbnails = createThumbnailer(join(options.stateDir, 'thumbnails'));
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  // Temp files of uploads cut off by a crash go before the first media request is served.
  // Not at construction: then an edge that fails to start could delete a running one's.
  let cleaned: Promise<unknown> | undefined;
  const cleanOnce = () => {
    cleaned ??= mediaDir
      ? removeStaleTempFiles(mediaDir, STREAM_TEMP_NAME).catch(() => {})
      : Promise.resolve();
    return cleaned;
  };

  async function media(request: Request, segments: string[], url: URL): Promise<Response> {
    if (!library || !mediaDir) {
      await request.body?.cancel();
      return problemResponse(404, 'no media folder is configured on this device');
    }
    await cleanOnce();
    const upload = { dir: mediaDir, library, maxBytes: maxUploadBytes };
    if (segments.length === 0) {
      if (request.method !== 'POST') return json(await listMedia(library, url.searchParams));
      const requested = url.searchParams.get('name');
      if (!requested) {
        await request.body?.cancel();
        return problemResponse(400, 'an upload by POST names its file: /api/media?name=');
      }
      return receiveUpload(request, requested, false, upload);
    }
    const name = decodeSegment(segments[0]!);
    if (request.method === 'PUT') {
      if (name === undefined) {
        await request.body?.cancel();
        return problemResponse(400, `${JSON.stringify(segments[0])} is not a valid escaped name`);
      }
      return receiveUpload(request, name, true, upload);
    }
    const file = name === undefined ? undefined : await library.resolve(name);
    if (!file)
      return problemResponse(404, `no media file named ${JSON.stringify(name ?? segments[0])}`);
    if (segments.length === 1) return fileResponse(request, file);
    if (segments.length !== 2 || segments[1] !== 'thumbnail') {
      return problemResponse(404, `no such media resource`);
    }
    if (!hasThumbnail(file.type)) {
      return problemResponse(
        415,
        `thumbnails are made only from JPEG, PNG and WebP images and videos`,
        {
          title: 'Unsupported Media Type',
        },
      );
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
      if (error instanceof PosterError) return videoPlaceholder(request, error);
      throw error;
    }
  }

  return async (request, rest) => {
    const url = new URL(rest, 'http://device.invalid');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'api') return problemResponse(404, `no route for ${url.pathname}`);
    const isDevice = segments.length === 2 && segments[1] === 'device';
    const isMedia = segments[1] === 'media';
    if (!isDevice && !isMedia) {
      await request.body?.cancel();
      return problemResponse(404, `no route for ${url.pathname}`);
    }
    const allow = allowedMethods(segments);
    if (!allow.split(', ').includes(request.method)) {
      await request.body?.cancel();
      return problemResponse(405, `${request.method} is not allowed here`, {}, { allow });
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
