/**
 * The pairing window at rest: `<stateDir>/pairing-window.json` (mode 0600, replaced
 * atomically) holds the open window's code, expiry and attempts used, so that a restart
 * reopens the same window instead of handing a guesser a new code and fresh attempts. A
 * window whose attempts are used stays on disk until it would have expired: a restart does
 * not reopen it either.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { removeFileDurably, writeFileAtomic } from '../state/atomic-write.js';
import { readJsonFile, StateFileError } from '../state/json-file.js';

export const PAIRING_WINDOW_FILE = 'pairing-window.json';

const recordSchema = z.strictObject({
  version: z.literal(1),
  code: z.string().regex(/^\d{6}$/),
  /** When the window closes on its own, ms since the epoch. */
  expiresAt: z.number().int().positive(),
  /** Attempts started (and counted) in this window. */
  attempts: z.number().int().min(0),
});

export type WindowRecord = Omit<z.infer<typeof recordSchema>, 'version'>;

/** The pairing window file cannot be read or written; the message names the file. */
export class PairingWindowStateError extends Error {
  override readonly name = 'PeerFetchPairingWindowStateError';
}

export interface WindowStore {
  readonly path: string;
  /**
   * The stored window, if any. A file that is not a window record (it never is, written
   * atomically) is reported by `onCorrupt`, removed, and read as no window.
   */
  load(onCorrupt: (detail: string) => void): Promise<WindowRecord | undefined>;
  /** Resolves once the record is on disk; throws PairingWindowStateError otherwise. */
  save(record: WindowRecord): Promise<void>;
  /** Resolves once no record is on disk; throws PairingWindowStateError otherwise. */
  remove(): Promise<void>;
}

export function createWindowStore(stateDir: string): WindowStore {
  const path = join(stateDir, PAIRING_WINDOW_FILE);
  const failed = (what: string, error: unknown) =>
    new PairingWindowStateError(`cannot ${what} ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  // One write at a time, in order: an older record never lands after a newer one.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (write: () => Promise<void>): Promise<void> => {
    const next = queue.then(write);
    queue = next.catch(() => {});
    return next;
  };

  return {
    path,
    async load(onCorrupt) {
      try {
        const stored = await readJsonFile(path, recordSchema);
        if (!stored) return undefined;
        const { version: _version, ...record } = stored;
        return record;
      } catch (error) {
        if (error instanceof StateFileError && error.problem === 'corrupt') {
          onCorrupt(error.detail);
          await removeFileDurably(path).catch((e: unknown) => {
            throw failed('remove', e);
          });
          return undefined;
        }
        throw failed('read', error);
      }
    },
    save(record) {
      const text = `${JSON.stringify({ version: 1, ...record })}\n`;
      return enqueue(() =>
        writeFileAtomic(path, text, 0o600).catch((error: unknown) => {
          throw failed('save', error);
        }),
      );
    },
    remove() {
      return enqueue(() =>
        removeFileDurably(path).catch((error: unknown) => {
          throw failed('remove', error);
        }),
      );
    },
  };
}
