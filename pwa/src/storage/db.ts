import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/** A device the user added. Pairing (a later step) adds its key here. */
export interface DeviceRecord {
  /** The edge's peer id. */
  id: string;
  /** The name the user sees (the edge's room name until renamed). */
  name: string;
  /** When it was added, ms since the epoch. */
  addedAt: number;
}

/** Settings the user can change; everything has a default (see settings store). */
export interface SettingsRecord {
  /** Signaling server base URL; empty means "the origin the app was served from". */
  signalingUrl: string;
  /** PeerJS server key. */
  peerKey: string;
  /** How this phone introduces itself in the local room. */
  clientName: string;
  /** Size of the diagnostics download, MiB. */
  speedTestMiB: number;
  /** The device the Media and Console tabs open. */
  currentDeviceId: string;
}

interface PeerFetchDb extends DBSchema {
  devices: { key: string; value: DeviceRecord };
  settings: { key: string; value: unknown };
}

export type AppDb = IDBPDatabase<PeerFetchDb>;

export const DB_NAME = 'peerfetch';

/** Opens (and on first use creates) the app's database. */
export function openAppDb(name: string = DB_NAME): Promise<AppDb> {
  return openDB<PeerFetchDb>(name, 1, {
    upgrade(db) {
      db.createObjectStore('devices', { keyPath: 'id' });
      db.createObjectStore('settings');
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
