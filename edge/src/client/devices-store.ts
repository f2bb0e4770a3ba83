/**
 * The Node client's pairings: `$XDG_CONFIG_HOME/peerfetch/devices.json` (default
 * `~/.config/peerfetch/devices.json`), mode 0600, replaced atomically. It also keeps this
 * client's own peer id: the edge knows a client by that id, so it must stay the same.
 */

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PAIRING_KEY_BYTES } from '@peerfetch/shared';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-write.js';
import { readJsonFile, StateFileError } from '../state/json-file.js';

const deviceSchema = z.strictObject({
  /** The edge's peer id. */
  id: z.string().min(1).max(64),
  /** The name the edge gave when pairing. */
  name: z.string().max(256),
  signalingUrl: z.url(),
  /** The 256-bit pairing key, base64. */
  key: z.base64().refine((k) => Buffer.from(k, 'base64').length === PAIRING_KEY_BYTES),
  pairedAt: z.iso.datetime(),
});

const fileSchema = z.strictObject({
  version: z.literal(1),
  /** This client's PeerJS id and the token that lets it register that id again. */
  client: z.strictObject({
    id: z.string().regex(/^client[0-9a-f]{24}$/),
    token: z.string().min(16),
  }),
  devices: z.array(deviceSchema),
});

export type StoredDevice = z.infer<typeof deviceSchema>;
export type DevicesFile = z.infer<typeof fileSchema>;

/** The devices file is unreadable, corrupt, or names no such device. */
export class DevicesError extends Error {
  override readonly name = 'PeerFetchDevicesError';
}

export function devicesPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/')
    ? env.XDG_CONFIG_HOME
    : join(homedir(), '.config');
  return join(base, 'peerfetch', 'devices.json');
}

function newFile(): DevicesFile {
  return {
    version: 1,
    client: {
      id: `client${randomBytes(12).toString('hex')}`,
      token: randomBytes(24).toString('hex'),
    },
    devices: [],
  };
}

/** Reads the file; a new client identity (not yet saved) when there is none. */
export async function readDevices(path: string): Promise<DevicesFile> {
  return (await readStored(path)) ?? newFile();
}

/**
 * Reads the file, saving a new client identity first when there is none: the signaling server
 * reserves this client's peer id for its token, so the pair must survive a failed pairing.
 */
export async function readOrCreateDevices(path: string): Promise<DevicesFile> {
  const stored = await readStored(path);
  if (stored) return stored;
  const file = newFile();
  await writeDevices(path, file);
  return file;
}

async function readStored(path: string): Promise<DevicesFile | undefined> {
  try {
    return await readJsonFile(path, fileSchema);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    throw new DevicesError(
      error.problem === 'unreadable'
        ? `cannot read ${path} (${error.detail})`
        : `${path} is corrupt; move it away and pair again`,
    );
  }
}

export async function writeDevices(path: string, file: DevicesFile): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

/** Adds or replaces the pairing with one edge. */
export function withDevice(file: DevicesFile, device: StoredDevice): DevicesFile {
  return { ...file, devices: [...file.devices.filter((d) => d.id !== device.id), device] };
}

/** The stored device with this id, or the only one with this name. */
export function findDevice(file: DevicesFile, idOrName: string): StoredDevice {
  const byId = file.devices.find((d) => d.id === idOrName);
  if (byId) return byId;
  const named = file.devices.filter((d) => d.name === idOrName);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw new DevicesError(
      `several paired devices are named "${idOrName}" (${named.map((d) => d.id).join(', ')}); give the id`,
    );
  }
  throw new DevicesError(
    `no paired device has the id or name "${idOrName}"; pair first with \`peerfetch pair\` (see \`peerfetch devices\`)`,
  );
}

/** The device `--device` names, or the only paired one when it names none. */
export function chooseDevice(file: DevicesFile, idOrName: string | undefined): StoredDevice {
  if (idOrName !== undefined) return findDevice(file, idOrName);
  if (file.devices.length === 1) return file.devices[0]!;
  if (file.devices.length === 0) {
    throw new DevicesError('no device is paired yet; pair first with `peerfetch pair`');
  }
  const list = file.devices.map((d) => `  ${d.id}  ${d.name}`).join('\n');
  throw new DevicesError(`several devices are paired; choose one with --device:\n${list}`);
}
