import { authFailureOf, describeAuthFailure } from './auth-failure';

/**
 * Connection errors with messages written for people: what happened and what to do next.
 * Callers branch on `name`.
 */

/** The signaling server could not be reached or refused us. */
export class SignalingUnavailableError extends Error {
  override readonly name = 'SignalingUnavailableError';
}

/** The signaling server does not know the device: it is off, offline, or its agent is not running. */
export class DeviceUnreachableError extends Error {
  override readonly name = 'DeviceUnreachableError';
}

/** The peer-to-peer connection did not open in time (the device is stuck, or a firewall blocks it). */
export class DialTimeoutError extends Error {
  override readonly name = 'DialTimeoutError';
}

/** The connection's network path went away (the phone changed networks): redial at once. */
export class PathLostError extends Error {
  override readonly name = 'PathLostError';
}

/** A request was made while the device stayed offline. */
export class DeviceOfflineError extends Error {
  override readonly name = 'DeviceOfflineError';
}

/** A request to a device whose connection failed in a way only the user can fix. */
export class DeviceFailedError extends Error {
  override readonly name = 'DeviceFailedError';
}

/** Errors that end a session under a request: the device is likely back after a redial. */
const SESSION_LOST = new Set([
  'PeerFetchSessionClosedError',
  'PeerFetchSessionDeadError',
  'PathLostError',
]);

/** Whether `error` is the session ending under a request (an idempotent one may be sent again). */
export function isSessionLost(error: unknown): boolean {
  return error instanceof Error && SESSION_LOST.has(error.name);
}

/** Errors after which retrying by itself cannot help (the user or an update must act). */
const PERMANENT = new Set(['PeerFetchUnsupportedVersionError', 'PeerFetchProtocolError']);

/**
 * Whether retrying by itself cannot help. A failed authentication is permanent (retrying a
 * device that cannot prove the key would only hammer it), whether the handshake or this
 * phone refused, except a broken exchange (`failed`); a handshake that merely timed out is
 * retried.
 */
export function isPermanentFailure(error: Error): boolean {
  const reason = authFailureOf(error);
  if (reason !== undefined) return reason !== 'failed';
  return PERMANENT.has(error.name) && (error as { code?: string }).code !== 'handshake-failed';
}

/** One plain sentence for any connection error. */
export function describeConnectionError(error: Error): string {
  const auth = authFailureOf(error);
  if (auth) return describeAuthFailure(auth).detail;
  if ((error as { code?: string }).code === 'handshake-failed')
    return 'The device did not finish the secure handshake in time.';
  switch (error.name) {
    case 'PeerFetchUnsupportedVersionError':
      return 'This device runs a PeerFetch version this app does not speak. Update the app or the device agent.';
    case 'PeerFetchProtocolError':
      return `The device broke the protocol (${error.message}). Restart its agent; if it persists, update it.`;
    case 'PeerFetchSessionDeadError':
      return 'The device stopped answering.';
    case 'PeerFetchSessionClosedError':
      return 'The connection to the device closed.';
    default:
      return error.message;
  }
}
