/**
 * The edge's identity: a random PeerJS id and the token that lets it re-register that id.
 * Created once on first start and kept forever; a damaged file stops the edge rather than
 * silently turning it into a different device.
 */

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';
import { readJsonFile, StateFileError } from './json-file.js';

export const IDENTITY_FILE = 'identity.json';

const identitySchema = z.strictObject({
  version: z.literal(1),
  /** PeerJS-valid id: `edge-` and 32 hex digits (128 random bits). */
  peerId: z.string().regex(/^edge-[0-9a-f]{32}$/),
  /** Secret that proves to the PeerJS server that this id is ours (256 random bits). */
  token: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
});

export type Identity = z.infer<typeof identitySchema>;

/** The identity file exists but cannot be used; the message names the file. */
export class IdentityError extends Error {
  override readonly name = 'PeerFetchIdentityError';
}

export function newIdentity(): Identity {
  return {
    version: 1,
    peerId: `edge-${randomBytes(16).toString('hex')}`,
    token: randomBytes(32).toString('hex'),
    createdAt: new Date().toISOString(),
  };
}

/** Reads the identity; `undefined` only when the file does not exist. */
export async function readIdentity(stateDir: string): Promise<Identity | undefined> {
  const path = join(stateDir, IDENTITY_FILE);
  try {
    return await readJsonFile(path, identitySchema);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    throw new IdentityError(
      error.problem === 'unreadable'
        ? `cannot read identity file ${path} (${error.detail}); fix its permissions`
        : `identity file ${path} is corrupt (${error.detail}); it was left in place. Restore it from a backup, or move it away to give this device a new identity (paired phones will need to pair again).`,
    );
  }
}

/**
 * Returns the stored identity, creating the state directory and a new identity on first
 * start. `created` tells the caller to log that a new device identity was made.
 */
export async function loadOrCreateIdentity(
  stateDir: string,
): Promise<{ identity: Identity; created: boolean; path: string }> {
  const path = join(stateDir, IDENTITY_FILE);
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new IdentityError(
      `cannot create state directory ${stateDir}: ${(error as Error).message}`,
    );
  }
  const existing = await readIdentity(stateDir);
  if (existing) return { identity: existing, created: false, path };
  const identity = newIdentity();
  try {
    await writeFileAtomic(path, `${JSON.stringify(identity, null, 2)}\n`, 0o600);
  } catch (error) {
    throw new IdentityError(`cannot write identity file ${path}: ${(error as Error).message}`);
  }
  return { identity, created: true, path };
}
