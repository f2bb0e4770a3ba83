import type { AuthFailureReason } from '@peerfetch/shared';

/** Minutes the edge keeps its pairing window open after `peerfetch-edge pair` (the edge's default). */
export const PAIRING_WINDOW_MINUTES = 5;

/** What to tell the user for each way pairing or authentication can fail. */
export interface AuthFailureText {
  title: string;
  /** What happened and what to do next, in plain words. */
  detail: string;
}

export function describeAuthFailure(reason: AuthFailureReason): AuthFailureText {
  switch (reason) {
    case 'wrong-code':
      return {
        title: 'Wrong code',
        detail:
          'The device did not accept that code. Check the 6 digits shown on the device and enter them again.',
      };
    case 'pairing-closed':
      return {
        title: 'Pairing is closed',
        detail: `The device is not pairing with anyone right now. Run \`peerfetch-edge pair\` on the device, then try again within ${PAIRING_WINDOW_MINUTES} minutes.`,
      };
    case 'not-paired':
      return {
        title: 'Not paired',
        detail:
          'This device no longer knows this app (it was unpaired, or its data was reset). Pair again with the code the device shows.',
      };
    case 'device-not-verified':
      return {
        title: 'Device not verified',
        detail:
          'This device could not be verified. Someone else may be answering under its name. Nothing was sent.',
      };
    case 'failed':
      return {
        title: 'Handshake failed',
        detail:
          'The device broke off the secure handshake. Try again; if it keeps failing, restart the agent on the device.',
      };
  }
}

const REASONS = new Set<string>([
  'wrong-code',
  'pairing-closed',
  'not-paired',
  'device-not-verified',
  'failed',
]);

/**
 * The authentication reason behind a session failure: a `handshake-failed` protocol error
 * whose cause is a PeerFetchAuthenticationError. Undefined for any other error.
 */
export function authFailureOf(error: unknown): AuthFailureReason | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  const candidate =
    error.name === 'PeerFetchAuthenticationError'
      ? error
      : cause instanceof Error && cause.name === 'PeerFetchAuthenticationError'
        ? cause
        : undefined;
  const reason = (candidate as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' && REASONS.has(reason)
    ? (reason as AuthFailureReason)
    : undefined;
}
