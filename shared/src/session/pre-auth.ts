/**
 * What a session does before it is open (PROTOCOL.md §5.1): until the handshake and the
 * authentication have succeeded, a server answers nothing but the handshake itself, reads
 * only messages the size of a control frame, and tells a failed peer a code, never detail.
 * A stranger's work on the edge is then a few small messages per session, whatever it sends.
 */
import { FRAME_HEADER_SIZE, MAX_CONTROL_PAYLOAD } from '../constants.js';
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';
import { FrameType } from '../wire/frame-types.js';

/** The frames the handshake is made of: the only ones a server takes before it is open. */
const HANDSHAKE_TYPES: ReadonlySet<FrameType> = new Set([
  FrameType.Hello,
  FrameType.Auth,
  FrameType.Error,
  FrameType.GoAway,
]);

/**
 * Largest message a server reads before it is open: one control frame. Anything longer is
 * refused by its length alone, before a byte of it is parsed.
 */
export const PRE_AUTH_MAX_MESSAGE = FRAME_HEADER_SIZE + MAX_CONTROL_PAYLOAD;

/** The largest message a session accepts while it is not open yet. */
export function preAuthMessageLimit(role: 'client' | 'server', maxFrameSize: number): number {
  return role === 'server' ? Math.min(PRE_AUTH_MAX_MESSAGE, maxFrameSize) : maxFrameSize;
}

/**
 * Whether a frame that arrives before the session is open is handled (true) or dropped
 * (false); throws `unexpected-frame` for a frame the handshake has no place for. A client
 * drops PING and PONG (older servers probed a slow handshake) and takes a BATCH of handshake
 * frames (older servers packed a refusal with its ERROR); a server takes neither.
 */
export function admitBeforeOpen(role: 'client' | 'server', type: FrameType): boolean {
  if (HANDSHAKE_TYPES.has(type)) return true;
  if (role === 'client') {
    if (type === FrameType.Ping || type === FrameType.Pong) return false;
    if (type === FrameType.Batch) return true;
  }
  throw new ProtocolError(
    'unexpected-frame',
    `frame type 0x${type.toString(16)} before the session was authenticated`,
  );
}

/** What an ERROR frame says to a peer that has not authenticated: the code in words. */
const GENERIC_TEXT: Record<ProtocolErrorCode, string> = {
  'malformed-frame': 'malformed frame',
  'frame-too-large': 'frame too large',
  'unknown-frame-type': 'unknown frame type',
  'unexpected-frame': 'unexpected frame',
  'bad-ticket': 'bad ticket',
  'bad-head': 'bad head',
  'flow-control': 'flow control violation',
  'unsupported-version': 'unsupported version',
  'handshake-failed': 'handshake failed',
  internal: 'internal error',
};

/**
 * The message of an ERROR frame: internal detail (file paths, errno text, what was checked)
 * is for our own logs; a server tells a peer that has not proven itself only the code.
 */
export function farewellText(
  role: 'client' | 'server',
  open: boolean,
  error: ProtocolError,
): string {
  return role === 'server' && !open ? GENERIC_TEXT[error.code] : error.message;
}
