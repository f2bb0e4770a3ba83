/**
 * Uploads into the media folder, streamed to disk and written atomically
 * (writeStreamAtomic): a half-finished upload never appears under its name, and one that
 * fails or is cut off leaves nothing behind.
 *   PUT  /api/media/{name}     creates exactly `name`; 409 when it exists (never replaces)
 *   POST /api/media?name=      stores under the sanitized name, numbered ` (1)` when taken
 * Both answer 201 with `Location` and a MediaUploadResult; 413 past the size limit (before
 * reading when `content-length` says so), 507 when the disk is full.
 */
import { statfs } from 'node:fs/promises';
import { basename } from 'node:path';
import { jsonResponse, type MediaUploadResult, problemResponse } from '@peerfetch/shared';
import { BodyTooLargeError, isBodyTooLarge, limitedReadable } from '../router/body-limit.js';
import { declaredLength, RequestFramingError } from '../router/framing.js';
import { writeStreamAtomic } from '../state/atomic-write.js';
import type { MediaLibrary } from './media-library.js';
import { mediaItemOf } from './media-listing.js';
import { nameVariants, sanitizeMediaName } from './media-name.js';

/** Mode of uploaded files: readable by other services (a media server) on the device. */
const UPLOAD_MODE = 0o644;

/** Errors that mean the file system has no room (or quota) left. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

export interface UploadOptions {
  dir: string;
  library: MediaLibrary;
  /** Largest upload in bytes. */
  maxBytes: number;
}

const insufficientStorage = (detail: string) =>
  problemResponse(507, detail, { title: 'Insufficient Storage' });

/** Bytes a new file may still take on the folder's volume, or undefined when unknown. */
async function availableBytes(dir: string): Promise<number | undefined> {
  try {
    const fs = await statfs(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Stores the request's body as `requested`: exactly that name (`exact`), or the sanitized
 * name with a number added when it is taken.
 */
export async function receiveUpload(
  request: Request,
  requested: string,
  exact: boolean,
  options: UploadOptions,
): Promise<Response> {
  const refuse = async (response: Response) => {
    await request.body?.cancel().catch(() => {});
    return response;
  };
  const name = sanitizeMediaName(requested);
  if (name === undefined) {
    return refuse(problemResponse(400, `${JSON.stringify(requested)} is not a usable file name`));
  }
  if (exact && name !== requested) {
    return refuse(
      problemResponse(
        400,
        `${JSON.stringify(requested)} is not a safe file name; ${JSON.stringify(name)} would be`,
      ),
    );
  }
  let declared: number | undefined;
  try {
    declared = declaredLength(request.headers, request.body !== null);
  } catch (error) {
    if (!(error instanceof RequestFramingError)) throw error;
    return refuse(problemResponse(error.status, error.message));
  }
  if (declared !== undefined && declared > options.maxBytes) {
    return refuse(problemResponse(413, `uploads are limited to ${options.maxBytes} bytes`));
  }
  const available = await availableBytes(options.dir);
  if (declared !== undefined && available !== undefined && declared > available) {
    return refuse(
      insufficientStorage(`the device has ${available} bytes free, the upload needs ${declared}`),
    );
  }
  const source = limitedReadable(request.body ?? new Blob([]).stream(), options.maxBytes, declared);
  // A session that ends mid-upload aborts the request: stop writing and drop the temp file.
  const abort = () => source.destroy(request.signal.reason);
  request.signal.addEventListener('abort', abort, { once: true });
  let path: string;
  try {
    ({ path } = await writeStreamAtomic(
      options.dir,
      exact ? [name] : nameVariants(name),
      source,
      UPLOAD_MODE,
    ));
  } catch (error) {
    // A client that went away hears nothing; its temp file is already gone.
    if (request.signal.aborted) throw request.signal.reason;
    if (isBodyTooLarge(error)) {
      return problemResponse(413, new BodyTooLargeError(options.maxBytes).message);
    }
    if (error instanceof RequestFramingError) return problemResponse(error.status, error.message);
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (DISK_FULL.has(code)) {
      return insufficientStorage('the device ran out of storage; nothing of the upload was kept');
    }
    if (code === 'EEXIST') {
      return problemResponse(
        409,
        exact
          ? `${JSON.stringify(name)} already exists; uploads never replace a file`
          : `${JSON.stringify(name)} and its numbered variants are all taken`,
        { title: 'Conflict' },
      );
    }
    throw error;
  } finally {
    request.signal.removeEventListener('abort', abort);
  }
  const file = await options.library.resolve(basename(path));
  if (!file) throw new Error(`the uploaded file ${path} vanished as it was stored`);
  const result: MediaUploadResult = { ...mediaItemOf(file), requestedName: requested };
  return jsonResponse(result, {
    status: 201,
    headers: { location: result.url, 'cache-control': 'no-store' },
  });
}
