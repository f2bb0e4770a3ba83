import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/** A device the user paired with. */
export interface DeviceRecord {
  /** The edge's peer id. */
  id: string;
  /** The name the user sees (the name the edge gave when pairing, until renamed). */
  name: string;
  /** When it was added, ms since the epoch. */
  addedAt: number;
  /**
   * The pairing key: a non-extractable HMAC-SHA256 CryptoKey (IndexedDB stores it by
   * structured clone and keeps it non-extractable). Absent: not paired, never dialled.
   */
  key?: CryptoKey;
  /** When the pairing was made, ms since the epoch. */
  pairedAt?: number;
}

/** This installation's peer id and the token that holds it on the signaling server. */
export interface IdentityRecord {
  id: string;
  token: string;
}

/** Settings the user can change; everything has a default (see settings store). */
export interface SettingsRecord {
  /** Signaling server base URL; empty means "the origin the app was served from". */
  signalingUrl: string;
  /** PeerJS server key. */
  peerKey: string;
  /** How this phone introduces itself in the local room. */
  clientName: string;
  /** Connect to devices only through the TURN relay, so they never learn this phone's addresses. */
  relayOnly: boolean;
  /** Size of the diagnostics download, MiB. */
  speedTestMiB: number;
  /** The device the Media and Console tabs open. */
  currentDeviceId: string;
}

interface PeerFetchDb extends DBSchema {
  devices: { key: string; value: DeviceRecord };
  settings: { key: string; value: unknown };
  identity: { key: string; value: IdentityRecord };
}

export type AppDb = IDBPDatabase<PeerFetchDb>;

export const DB_NAME = 'peerfetch';

/** Opens (and on first use creates) the app's database. */
export function openAppDb(name: string = DB_NAME): Promise<AppDb> {
  return openDB<PeerFetchDb>(name, 2, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('devices', { keyPath: 'id' });
        db.createObjectStore('settings');
      }
      if (oldVersion < 2) db.createObjectStore('identity');
    },
  });
}

/** Devices, oldest first. */
export async function loadDevices(db: AppDb): Promise<DeviceRecord[]> {
  const all = await db.getAll('devices');
  return all.sort((a, b) => a.addedAt - b.addedAt);
}

export async function saveDevice(db: AppDb, device: DeviceRecord): Promise<void> {
  await db.put('devices', { ...device });
}

export async function deleteDevice(db: AppDb, id: string): Promise<void> {
  await db.delete('devices', id);
}

/** Stored settings; fields never saved are absent. */
export async function loadSettings(db: AppDb): Promise<Partial<SettingsRecord>> {
  const keys = await db.getAllKeys('settings');
  const values = await db.getAll('settings');
  return Object.fromEntries(keys.map((key, i) => [key, values[i]])) as Partial<SettingsRecord>;
}

export async function saveSetting<K extends keyof SettingsRecord>(
  db: AppDb,
  key: K,
  value: SettingsRecord[K],
): Promise<void> {
  await db.put('settings', value, key);
}

/**
 * This installation's identity, made on first use. It must stay the same across runs:
 * paired devices know this phone by its peer id.
 */
export async function loadOrCreateIdentity(
  db: AppDb,
  create: () => IdentityRecord,
): Promise<IdentityRecord> {
  const tx = db.transaction('identity', 'readwrite');
  const existing = await tx.store.get('self');
  if (existing) {
    await tx.done;
    return existing;
  }
  const fresh = create();
  await tx.store.put(fresh, 'self');
  await tx.done;
  return fresh;
}
