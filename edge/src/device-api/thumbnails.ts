/**
 * Thumbnails of JPEG, PNG and WebP images and poster frames of videos (video-poster.ts),
 * encoded as WebP with sharp and cached in the state directory under a key that changes
 * whenever the source file does.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { FileToServe } from './file-response.js';
import type { MediaFile } from './media-library.js';
import { createPosterFrames } from './video-poster.js';

/** Image types a thumbnail can be made from. */
export const THUMBNAIL_SOURCE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export const isVideoType = (type: string) => type.startsWith('video/');

/** True for files that get a thumbnail: the images above and videos. */
export const hasThumbnail = (type: string) => THUMBNAIL_SOURCE_TYPES.has(type) || isVideoType(type);

/** Thumbnail widths accepted by `?w=`, in pixels. */
export const THUMBNAIL_MIN_WIDTH = 16;
export const THUMBNAIL_MAX_WIDTH = 1024;
export const THUMBNAIL_DEFAULT_WIDTH = 256;

/** The source is not an image sharp could read. */
export class ThumbnailError extends Error {
  override readonly name = 'PeerFetchThumbnailError';
}

export interface Thumbnailer {
  /**
   * A cached (or freshly made) WebP thumbnail of `file`, `width` pixels wide at most. Fails
   * with ThumbnailError for an unreadable image, PosterError when no video frame was made.
   */
  thumbnail(file: MediaFile, width: number): Promise<FileToServe>;
}

export function createThumbnailer(cacheDir: string): Thumbnailer {
  // Two requests for the same thumbnail share one resize.
  const inFlight = new Map<string, Promise<FileToServe>>();
  const posterFrame = createPosterFrames();

  async function make(file: MediaFile, width: number, path: string): Promise<FileToServe> {
    try {
      return { path, stats: await stat(path), type: 'image/webp' };
    } catch {
      // not cached yet
    }
    // Loaded on first use: libvips costs tens of MiB of RAM that a Pi without thumbnails keeps.
    const { default: sharp } = await import('sharp');
    const source = isVideoType(file.type) ? await posterFrame(file.path, width) : file.path;
    let data: Buffer;
    try {
      data = await sharp(source)
        .rotate() // honour EXIF orientation, as photo viewers do
        .resize({ width, withoutEnlargement: true })
        .webp({ quality: 75 })
        .toBuffer();
    } catch (error) {
      throw new ThumbnailError(`cannot read ${file.name} as an image: ${(error as Error).message}`);
    }
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, data, 0o600);
    return { path, stats: await stat(path), type: 'image/webp' };
  }

  return {
    thumbnail(file, width) {
      const key = createHash('sha256')
        .update(`${file.path}\0${file.stats.size}\0${file.stats.mtimeMs}\0${width}`)
        .digest('hex');
      const pending = inFlight.get(key);
      if (pending) return pending;
      const job = make(file, width, join(cacheDir, `${key}.webp`)).finally(() =>
        inFlight.delete(key),
      );
      inFlight.set(key, job);
      return job;
    },
  };
}
