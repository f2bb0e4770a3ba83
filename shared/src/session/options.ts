import {
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_DEAD_AFTER_MS,
  DEFAULT_DRAIN_POLL_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEAD_COALESCE_MS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_WINDOW,
  MIN_FRAME_SIZE,
} from '../constants.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from './auth.js';

export interface SessionOptions {
  role: 'client' | 'server';
  /**
   * The largest message the peer's side of the channel accepts: `pc.sctp.maxMessageSize`
   * from the remote SDP (use DEFAULT_PEER_MAX_MESSAGE_SIZE, 64 KiB, when unknown).
   */
  maxMessageSize: number;
  /** Largest frame we send or accept. Default 256 KiB; always capped by both peers' limits. */
  maxFrameSize?: number;
  /** Stop sending while the channel holds more than this. Default 1 MiB. */
  highWaterMark?: number;
  /** Resume once the channel has drained to this. Default 256 KiB. */
  lowWaterMark?: number;
  /** Poll interval while waiting for the channel to drain. Default 2 ms. */
  drainPollMs?: number;
  /** Per-ticket receive window we announce. Default {@link DEFAULT_WINDOW} (512 KiB). */
  window?: number;
  /** Ping after this much silence, jittered ±20 %. Default 5 s. */
  pingIntervalMs?: number;
  /** Declare the session dead after this much silence. Default 15 s. */
  deadAfterMs?: number;
  /** Limit for the version handshake plus authentication. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** How long a head waits for a streamed body's first bytes. Default 5 ms. */
  headCoalesceMs?: number;
  /**
   * After saying GOAWAY or ERROR, how long to wait for the peer to close the channel before
   * closing it ourselves. Default 2 s.
   */
  closeGraceMs?: number;
  /**
   * Announce BATCH in HELLO, accept it, and pack frames into BATCH messages when the peer
   * accepts it too (PROTOCOL.md §2.1). Default true.
   */
  batch?: boolean;
  /**
   * Announce the WebSocket extension in HELLO (PROTOCOL.md §12): WEBSOCKET tickets then
   * work when the peer announces it too. Default true.
   */
  webSocket?: boolean;
  /** Runs after the version handshake and before any request; throw to refuse the peer. */
  authenticate?: Authenticator;
  /** Name and version sent in HELLO, for the peer's logs. */
  agent?: string;
  logger?: Logger;
}

export type ResolvedSessionOptions = Required<
  Omit<SessionOptions, 'authenticate' | 'logger' | 'agent'>
> &
  Pick<SessionOptions, 'authenticate' | 'logger' | 'agent'>;

export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const resolved = {
    maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
    highWaterMark: DEFAULT_HIGH_WATER_MARK,
    lowWaterMark: DEFAULT_LOW_WATER_MARK,
    drainPollMs: DEFAULT_DRAIN_POLL_MS,
    window: DEFAULT_WINDOW,
    pingIntervalMs: DEFAULT_PING_INTERVAL_MS,
    deadAfterMs: DEFAULT_DEAD_AFTER_MS,
    handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
    headCoalesceMs: DEFAULT_HEAD_COALESCE_MS,
    closeGraceMs: DEFAULT_CLOSE_GRACE_MS,
    batch: true,
    webSocket: true,
    ...withoutUndefined(options),
    role: options.role,
    maxMessageSize: options.maxMessageSize,
  };
  if (resolved.maxMessageSize < MIN_FRAME_SIZE) {
    throw new RangeError(
      `maxMessageSize ${resolved.maxMessageSize} is below the minimum of ${MIN_FRAME_SIZE}`,
    );
  }
  if (resolved.maxFrameSize < MIN_FRAME_SIZE) {
    throw new RangeError(
      `maxFrameSize ${resolved.maxFrameSize} is below the minimum of ${MIN_FRAME_SIZE}`,
    );
  }
  if (resolved.lowWaterMark > resolved.highWaterMark) {
    throw new RangeError('lowWaterMark must not exceed highWaterMark');
  }
  return resolved;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
