import { FORGET_PAIRING_PATH } from '@peerfetch/shared';
import type { DeviceConnection } from './device-connection';

export type UnpairOutcome =
  /** The device answered 204: it no longer knows this phone. */
  | { toldDevice: true }
  /** The device could not be told; it still lists this phone until unpaired there. */
  | { toldDevice: false; why: string };

/**
 * Asks an online device to forget this phone, over its authenticated session. Offline
 * devices are not dialled for this (removing must work without the device).
 */
export async function unpairOnDevice(
  connection: DeviceConnection | undefined,
  timeoutMs = 10_000,
): Promise<UnpairOutcome> {
  if (connection?.state.kind !== 'online') return { toldDevice: false, why: 'it is offline' };
  try {
    const response = await connection.fetch(FORGET_PAIRING_PATH, {
      method: 'DELETE',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.status === 204) return { toldDevice: true };
    return {
      toldDevice: false,
      why: `it answered ${response.status} ${response.statusText}`.trim(),
    };
  } catch (error) {
    return {
      toldDevice: false,
      why: `it did not answer (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}
