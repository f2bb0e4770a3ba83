/**
 * Crash-safe file replacement: a reader sees either the old file or the new one, never a
 * torn mix, even after power loss.
 *
 * Kept by hand rather than npm's write-file-atomic: that one fsyncs the file but not its
 * directory, so after power loss the rename itself can be lost; and its temp names differ
 * from the ones removeStaleTempFiles recognises.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to `path` atomically (temp file, fsync, rename, fsync dir), with `mode`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600) {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
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
 * Deletes temp files that a process killed mid-write left behind in `dir`. Call it only
 * while holding the directory (after the control socket is ours), so no writer is active.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const stale = (await readdir(dir)).filter((name) => /^\..+\.[0-9a-f]{12}\.tmp$/.test(name));
  await Promise.all(stale.map((name) => unlink(join(dir, name)).catch(() => {})));
  return stale;
}
