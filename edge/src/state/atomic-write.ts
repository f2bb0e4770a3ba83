/**
 * Crash-safe file replacement: a reader sees either the old file or the new one, never a
 * torn mix, even after power loss.
 *
 * Kept by hand rather than npm's write-file-atomic: that one fsyncs the file but not its
 * directory, so after power loss the rename itself can be lost; and its temp names differ
 * from the ones removeStaleTempFiles recognises.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to `path` atomically (temp file, fsync, rename, fsync dir), with `mode`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600) {
  const dir = dirname(path);
  const temp = tempPathIn(dir, basename(path));
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.chmod(mode); // the umask may have narrowed or the creation mode been ignored
    await file.sync();
  } catch (error) {
    // A full disk fails the write; the temp file goes, and the write's error is the one told.
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/** Temp names made here: removeStaleTempFiles recognises them by default. */
const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Temp names of writeStreamAtomic: the only ones it may clean in a folder of other files. */
export const STREAM_TEMP_NAME = /^\.upload\.[0-9a-f]{12}\.tmp$/;

/** Room kept in a 255-byte name for the dot, the random part and `.tmp`. */
const TEMP_LABEL_MAX_BYTES = 200;

/** `.<label>.<12 hex>.tmp` in `dir`; a label too long for a file name is replaced. */
function tempPathIn(dir: string, label: string): string {
  const safe = Buffer.byteLength(label) <= TEMP_LABEL_MAX_BYTES ? label : 'long-name';
  return join(dir, `.${safe}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Error codes of file systems without hard links (FAT and exFAT on a USB stick). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Publishes `temp` under the first name of `candidates` that is free, never replacing a
 * file: link() fails atomically when the name exists, where rename() would overwrite.
 * Without hard links it checks then renames, which only another writer could race.
 */
async function publishExclusive(temp: string, dir: string, candidates: Iterable<string>) {
  for (const name of candidates) {
    const path = join(dir, name);
    try {
      await link(temp, path);
      await unlink(temp);
      return path;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (!NO_HARD_LINKS.has(code ?? '')) throw error;
    }
    const taken = await open(path, 'r').then(
      (h) => h.close().then(() => true),
      () => false,
    );
    if (taken) continue;
    await rename(temp, path);
    return path;
  }
  throw Object.assign(new Error(`every name offered for the file in ${dir} is taken`), {
    code: 'EEXIST',
  });
}

export interface StreamWriteResult {
  /** Where the file now is: `dir` joined with the candidate that was free. */
  path: string;
  bytes: number;
}

/**
 * Streams `source` into a new file of `dir` atomically: bytes go to a temp file that is
 * fsynced, then published under the first free name of `candidates` (never replacing a
 * file) and the directory fsynced. Nothing is held whole. On any failure (the source
 * erroring or aborting, a full disk, every name taken) the temp file is removed and the
 * error rethrown, so a half-written file never appears under a real name.
 */
export async function writeStreamAtomic(
  dir: string,
  candidates: Iterable<string>,
  source: AsyncIterable<Uint8Array>,
  mode = 0o600,
): Promise<StreamWriteResult> {
  const temp = tempPathIn(dir, 'upload');
  const file = await open(temp, 'wx', mode);
  let bytes = 0;
  let path: string;
  try {
    for await (const chunk of source) {
      for (let done = 0; done < chunk.byteLength; ) {
        done += (await file.write(chunk, done, chunk.byteLength - done)).bytesWritten;
      }
      bytes += chunk.byteLength;
    }
    await file.chmod(mode);
    await file.sync();
    await file.close();
    path = await publishExclusive(temp, dir, candidates);
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
  return { path, bytes };
}

/** Deletes `path` durably (a missing file is fine): after power loss it stays deleted. */
export async function removeFileDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** A rename or an unlink is durable only once the directory entry is on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * Deletes temp files that a process killed mid-write left behind in `dir` (all made here, or
 * only those matching `pattern`, in a folder shared with other files). Call it only
 * while holding the directory (after the control socket is ours), so no writer is active.
 */
export async function removeStaleTempFiles(dir: string, pattern = TEMP_NAME): Promise<string[]> {
  const stale = (await readdir(dir)).filter((name) => pattern.test(name));
  await Promise.all(stale.map((name) => unlink(join(dir, name)).catch(() => {})));
  return stale;
}
