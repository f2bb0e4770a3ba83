/**
 * Named errors. Callers branch on `err.name`, which survives bundling and package
 * boundaries where `instanceof` may not.
 */

/** Codes carried in ERROR frames and in {@link ProtocolError.code}. See PROTOCOL.md. */
export const PROTOCOL_ERROR_CODES = [
  'malformed-frame',
  'frame-too-large',
  'unknown-frame-type',
  'unexpected-frame',
  'bad-ticket',
  'bad-head',
  'flow-control',
  'unsupported-version',
  'handshake-failed',
  'internal',
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export function isProtocolErrorCode(code: string): code is ProtocolErrorCode {
  return (PROTOCOL_ERROR_CODES as readonly string[]).includes(code);
}

/** The peer broke the wire protocol, or sent bytes that are not a frame. */
export class ProtocolError extends Error {
  override readonly name = 'PeerFetchProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The session closed (locally, by the peer, or because the channel went away). */
export class SessionClosedError extends Error {
  override readonly name = 'PeerFetchSessionClosedError';
}

/** No frame arrived from the peer within the dead-session timeout. */
export class SessionDeadError extends Error {
  override readonly name = 'PeerFetchSessionDeadError';
}

/** The peer speaks no protocol version that we speak. */
export class UnsupportedVersionError extends Error {
  override readonly name = 'PeerFetchUnsupportedVersionError';
}

/** A request did not complete within its timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = 'PeerFetchTimeoutError';
}

/** The peer abandoned a message part-way (for example, the upstream failed mid-body). */
export class StreamResetError extends Error {
  override readonly name = 'PeerFetchStreamResetError';
}

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
