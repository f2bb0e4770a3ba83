/**
 * The media folder: lists its files and resolves a name to a file inside it. A name is a
 * single path segment, and the resolved real path (symlinks followed) must stay inside
 * the folder's real path, so nothing outside it can ever be reached.
 */
import type { Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import mime from 'mime';
import { isSafeMediaName } from './media-name.js';

export interface MediaFile {
  name: string;
  /** Real path on disk, inside the media folder. */
  path: string;
  stats: Stats;
  type: string;
}

export function mediaTypeOf(name: string): string {
  return mime.getType(name) ?? 'application/octet-stream';
}

export interface MediaLibrary {
  /** Regular files in the folder (not hidden, symlinks only when they stay inside), any order. */
  list(): Promise<MediaFile[]>;
  /** The file called `name`, or undefined when there is no such file inside the folder. */
  resolve(name: string): Promise<MediaFile | undefined>;
}

export function createMediaLibrary(dir: string): MediaLibrary {
  async function resolve(name: string): Promise<MediaFile | undefined> {
    if (!isSafeMediaName(name)) return undefined;
    try {
      const root = await realpath(dir);
      const real = await realpath(join(root, name));
      if (!real.startsWith(root + sep)) return undefined;
      const stats = await stat(real);
      if (!stats.isFile()) return undefined;
      return { name, path: real, stats, type: mediaTypeOf(name) };
    } catch {
      return undefined; // missing, dangling link, or unreadable: all "not here"
    }
  }

  return {
    resolve,
    async list() {
      const names = await readdir(dir);
      const files = await Promise.all(names.map(resolve));
      return files.filter((f): f is MediaFile => f !== undefined);
    },
  };
}
