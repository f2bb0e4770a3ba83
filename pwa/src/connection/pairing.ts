import { type AuthFailureReason, importPairingKey } from '@peerfetch/shared';
import { authFailureOf } from './auth-failure';
import { openDialedSession } from './client-session';
import { describeConnectionError } from './errors';
import { hangUp } from './hang-up';
import type { PeerLink } from './peer-link';

/** A device this phone has just paired with. */
export interface PairedDevice {
  /** The pairing key: HMAC-SHA256, non-extractable (the page can use it, never read it). */
  key: CryptoKey;
  /** The name the device gave itself. */
  edgeName: string;
}

/** Pairing did not succeed; `reason` is set when the device refused (or could not prove) it. */
export class PairingError extends Error {
  override readonly name = 'PairingError';
  constructor(
    message: string,
    readonly reason?: AuthFailureReason,
  ) {
    super(message);
  }
}

export interface PairOptions {
  link: PeerLink;
  deviceId: string;
  /** The 6-digit code the device shows. */
  code: string;
  /** How this phone is listed on the device. */
  clientName: string;
  signal?: AbortSignal;
}

/** True for exactly six ASCII digits. */
export function isPairingCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/**
 * Pairs with a device over a connection of its own: dials it, proves the code (CPace, bound
 * to this connection's DTLS fingerprints), and closes again. The device connection that
 * follows authenticates with the key.
 */
export async function pairWithDevice(options: PairOptions): Promise<PairedDevice> {
  if (!isPairingCode(options.code)) {
    throw new PairingError('Enter the 6 digits shown on the device.');
  }
  let paired: PairedDevice | undefined;
  let dialed: Awaited<ReturnType<PeerLink['dial']>> | undefined;
  try {
    dialed = await options.link.dial(options.deviceId, options.signal);
    const session = openDialedSession(dialed, {
      deviceId: options.deviceId,
      clientName: options.clientName,
      credentials: {
        pairingCode: options.code,
        async onPaired({ key, edgeName }) {
          paired = { key: await importPairingKey(key), edgeName };
          // The CryptoKey holds its own copy; these bytes are not needed any more.
          key.fill(0);
        },
      },
    });
    try {
      await session.ready;
    } finally {
      await hangUp(session, dialed);
    }
  } catch (error) {
    // describeConnectionError already words an authentication refusal.
    const detail = error instanceof Error ? describeConnectionError(error) : String(error);
    throw new PairingError(detail, authFailureOf(error));
  } finally {
    dialed?.close();
  }
  if (!paired) throw new PairingError('The device did not complete the pairing. Try again.');
  return paired;
}
