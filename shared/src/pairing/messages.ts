import { isPlainObject, packValue, unpackValue } from '../wire/msgpack.js';
import { AuthenticationError, type AuthFailureReason } from './errors.js';

/** The AUTH frame payloads of pairing and session authentication (PROTOCOL.md §5). */
export type AuthMessage =
  | { t: 'pair'; clientName: string; sid: Uint8Array; msg: Uint8Array }
  | { t: 'pair-reply'; edgeName: string; msg: Uint8Array; confirm: Uint8Array }
  | { t: 'pair-confirm'; confirm: Uint8Array }
  | { t: 'auth'; nonce: Uint8Array }
  | { t: 'auth-challenge'; nonce: Uint8Array; proof: Uint8Array }
  | { t: 'auth-proof'; proof: Uint8Array }
  | { t: 'ok'; edgeName: string }
  | { t: 'refused'; reason: AuthFailureReason };

const REASONS: ReadonlySet<string> = new Set([
  'not-paired',
  'wrong-code',
  'pairing-closed',
  'device-not-verified',
  'failed',
]);

/** Field types of each message; anything else is refused. */
const SHAPES: Record<AuthMessage['t'], Record<string, 'string' | 'bytes'>> = {
  pair: { clientName: 'string', sid: 'bytes', msg: 'bytes' },
  'pair-reply': { edgeName: 'string', msg: 'bytes', confirm: 'bytes' },
  'pair-confirm': { confirm: 'bytes' },
  auth: { nonce: 'bytes' },
  'auth-challenge': { nonce: 'bytes', proof: 'bytes' },
  'auth-proof': { proof: 'bytes' },
  ok: { edgeName: 'string' },
  refused: { reason: 'string' },
};

export function encodeAuthMessage(message: AuthMessage): Uint8Array {
  return packValue(message);
}

export function decodeAuthMessage(bytes: Uint8Array): AuthMessage {
  const value = (() => {
    try {
      return unpackValue(bytes, 'handshake-failed', 'AUTH message');
    } catch {
      return undefined;
    }
  })();
  if (!isPlainObject(value) || typeof value.t !== 'string' || !(value.t in SHAPES)) {
    throw new AuthenticationError('failed', 'unrecognised authentication message');
  }
  for (const [field, kind] of Object.entries(SHAPES[value.t as AuthMessage['t']])) {
    const fieldValue = value[field];
    const ok =
      kind === 'string'
        ? typeof fieldValue === 'string' && fieldValue.length <= 256
        : fieldValue instanceof Uint8Array;
    if (!ok)
      throw new AuthenticationError(
        'failed',
        `authentication message ${value.t} has a bad ${field}`,
      );
  }
  if (value.t === 'refused' && !REASONS.has(value.reason as string)) {
    throw new AuthenticationError('failed', 'refusal with an unknown reason');
  }
  return value as AuthMessage;
}

/** Receives the next message and insists on its type. */
export function expectMessage<T extends AuthMessage['t']>(
  message: AuthMessage,
  type: T,
): Extract<AuthMessage, { t: T }> {
  if (message.t === 'refused') {
    throw new AuthenticationError(message.reason, refusalText(message.reason));
  }
  if (message.t !== type)
    throw new AuthenticationError('failed', `expected ${type}, got ${message.t}`);
  return message as Extract<AuthMessage, { t: T }>;
}

export function refusalText(reason: AuthFailureReason): string {
  switch (reason) {
    case 'not-paired':
      return 'this device does not know this client: pair again';
    case 'wrong-code':
      return 'the pairing code was wrong';
    case 'pairing-closed':
      return 'the device is not accepting new pairings: run `peerfetch-edge pair` on it';
    case 'device-not-verified':
      return 'this device could not be verified';
    default:
      return 'authentication failed';
  }
}
