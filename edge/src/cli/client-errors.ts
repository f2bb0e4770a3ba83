/**
 * Exit codes of `peerfetch`. The fetch codes follow curl (2 usage, 7 cannot connect,
 * 22 HTTP error with --fail); authentication failures get their own, one per reason.
 */
import { constants } from 'node:os';
import { AuthenticationError, type AuthFailureReason } from '@peerfetch/shared';
import { ConnectError, DeviceChoiceError } from '../client/connect.js';
import { DevicesError } from '../client/devices-store.js';
import { UsageError } from './fetch-request.js';

export const AUTH_EXIT_CODES: Record<AuthFailureReason, number> = {
  'wrong-code': 10,
  'pairing-closed': 11,
  'not-paired': 12,
  'device-not-verified': 13,
  failed: 14,
};

/** What to tell the user, beyond the authenticator's own message. */
const AUTH_ADVICE: Record<AuthFailureReason, string> = {
  'wrong-code':
    'check the code the device shows; if it was right, something relays this connection',
  'pairing-closed': 'then pair with the new code',
  'not-paired': 'pair again with `peerfetch pair`',
  'device-not-verified': 'nothing was sent: an impostor or a relay answered in its place',
  failed: 'try again',
};

/** Ctrl-C (or SIGTERM) stopped a command; it exits as a shell reports that signal. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted (${signal})`);
  }
}

/** The message and exit code for an error from a `peerfetch` command. */
export function describeFailure(error: unknown): { message: string; code: number } {
  if (error instanceof AuthenticationError) {
    return {
      message: `${error.message}; ${AUTH_ADVICE[error.reason]}`,
      code: AUTH_EXIT_CODES[error.reason],
    };
  }
  if (error instanceof InterruptedError) {
    return { message: error.message, code: 128 + constants.signals[error.signal] };
  }
  const message = (error as Error)?.message ?? String(error);
  if (
    error instanceof UsageError ||
    error instanceof DevicesError ||
    error instanceof DeviceChoiceError
  )
    return { message, code: 2 };
  if (error instanceof ConnectError) return { message, code: 7 };
  return { message, code: 1 };
}
