/**
 * The clients paired with this edge, kept in `<stateDir>/paired-clients.json` (mode 0600,
 * replaced atomically so a crash mid-save leaves the previous list). A client is added or
 * removed in memory only once the list that says so is on disk: a failed write (a full disk)
 * leaves the edge as it was. Last-seen times are kept in memory and saved at most once per
 * debounce period, not on every session.
 */

import { join } from 'node:path';
import { importPairingKey, PAIRING_KEY_BYTES } from '@peerfetch/shared';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { readJsonFile, StateFileError } from '../state/json-file.js';

/** A pairing key as WebCrypto holds it (the DOM's CryptoKey, which Node's types lack). */
export type PairingKey = Awaited<ReturnType<typeof importPairingKey>>;

export const PAIRED_CLIENTS_FILE = 'paired-clients.json';

const clientSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().max(256),
  /** The 256-bit pairing key, base64. */
  key: z.base64().refine((k) => Buffer.from(k, 'base64').length === PAIRING_KEY_BYTES),
  pairedAt: z.iso.datetime(),
  lastSeen: z.iso.datetime().nullable(),
});

const fileSchema = z.strictObject({ version: z.literal(1), clients: z.array(clientSchema) });

export type PairedClient = z.infer<typeof clientSchema>;
/** What `peerfetch-edge clients` shows: everything but the key. */
export type PairedClientInfo = Omit<PairedClient, 'key'>;

/** The paired-clients file exists but cannot be used; the message names the file. */
export class PairedClientsError extends Error {
  override readonly name = 'PeerFetchPairedClientsError';
}

export interface PairedClientsOptions {
  stateDir: string;
  /** Longest time a last-seen update waits before it is saved, in ms. Default 60000. */
  lastSeenSaveDelayMs?: number;
  /** Told when a background save (of last-seen times) fails. */
  logger?: Logger;
}

export interface PairedClients {
  readonly size: number;
  list(): PairedClientInfo[];
  /** The client's pairing key as a WebCrypto HMAC key, if it is paired. */
  findKey(clientId: string): Promise<PairingKey | undefined>;
  /** Adds (or replaces) a client and saves the file before resolving. */
  add(client: { id: string; name: string; key: Uint8Array }): Promise<void>;
  /** Clients whose id or name is `idOrName` (a name may match several). */
  match(idOrName: string): PairedClientInfo[];
  /** Removes a client by id and saves; false when it was not paired. */
  remove(clientId: string): Promise<boolean>;
  /** Notes that the client was just seen; saved within the debounce delay. */
  touch(clientId: string): void;
  /** Saves pending last-seen updates now (at shutdown). */
  flush(): Promise<void>;
}

async function readClients(path: string): Promise<PairedClient[]> {
  try {
    return (await readJsonFile(path, fileSchema))?.clients ?? [];
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    throw new PairedClientsError(
      error.problem === 'unreadable'
        ? `cannot read ${path} (${error.detail}); fix its permissions`
        : `paired clients file ${path} is corrupt; it was left in place. Restore it from a backup, or move it away (every client will need to pair again).`,
    );
  }
}

export async function loadPairedClients(options: PairedClientsOptions): Promise<PairedClients> {
  const path = join(options.stateDir, PAIRED_CLIENTS_FILE);
  let clients = new Map((await readClients(path)).map((c) => [c.id, c]));
  const keys = new Map<string, Promise<PairingKey>>();
  let saveTimer: NodeJS.Timeout | undefined;
  // Saves run one after another, so an older list never lands after a newer one.
  let saving: Promise<void> = Promise.resolve();

  /**
   * Applies `change` to a copy of the list, writes the copy, and only then makes it the list:
   * when the write fails, the error is thrown and memory still matches the disk.
   */
  function commit<T>(change: (next: Map<string, PairedClient>) => T): Promise<T> {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    const result = saving.then(async () => {
      const next = new Map(clients);
      const value = change(next);
      const text = `${JSON.stringify({ version: 1, clients: [...next.values()] }, null, 2)}\n`;
      await writeFileAtomic(path, text, 0o600);
      clients = next;
      return value;
    });
    // The caller hears of a failure; the chain only orders the writes.
    saving = result.then(
      () => {},
      () => {},
    );
    return result;
  }
  const save = () => commit(() => undefined);

  const info = ({ key: _key, ...rest }: PairedClient): PairedClientInfo => rest;

  return {
    get size() {
      return clients.size;
    },
    list: () => [...clients.values()].map(info),
    findKey(clientId) {
      const client = clients.get(clientId);
      if (!client) return Promise.resolve(undefined);
      let key = keys.get(clientId);
      if (!key) {
        key = importPairingKey(new Uint8Array(Buffer.from(client.key, 'base64')));
        keys.set(clientId, key);
      }
      return key;
    },
    async add({ id, name, key }) {
      const now = new Date().toISOString();
      const client = { id, name, key: Buffer.from(key).toString('base64') };
      await commit((next) => next.set(id, { ...client, pairedAt: now, lastSeen: now }));
      keys.delete(id);
    },
    match(idOrName) {
      const byId = clients.get(idOrName);
      if (byId) return [info(byId)];
      return [...clients.values()].filter((c) => c.name === idOrName).map(info);
    },
    async remove(clientId) {
      if (!clients.has(clientId)) return false;
      const removed = await commit((next) => next.delete(clientId));
      keys.delete(clientId);
      return removed;
    },
    touch(clientId) {
      const client = clients.get(clientId);
      if (!client) return;
      client.lastSeen = new Date().toISOString();
      saveTimer ??= setTimeout(() => {
        save().catch((error: Error) =>
          options.logger?.error({ err: error.message, path }, 'cannot save last-seen times'),
        );
      }, options.lastSeenSaveDelayMs ?? 60_000);
      saveTimer.unref();
    },
    async flush() {
      if (saveTimer) await save();
      else await saving;
    },
  };
}
