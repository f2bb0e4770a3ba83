/**
 * The end of a session (PROTOCOL.md §8): the GOAWAY or ERROR it sends, reading the peer's,
 * and who closes the channel afterwards.
 */

import type { DataChannelLike } from '../channel.js';
import { FAREWELL_DRAIN_POLL_MS } from '../constants.js';
import { isProtocolErrorCode, ProtocolError, SessionClosedError } from '../errors.js';
import { decodeReason, encodeReason } from '../wire/control.js';
import { decodeBatch, decodeFrame, encodeFrame } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import type { ResolvedSessionOptions } from './options.js';

/** True when a message is, or is a BATCH holding, a GOAWAY or an ERROR. */
export function isFarewell(data: unknown, maxFrameSize: number): boolean {
  if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return false;
  try {
    const frame = decodeFrame(data, maxFrameSize);
    const frames =
      frame.type === FrameType.Batch ? decodeBatch(frame.payload, maxFrameSize) : [frame];
    for (const { type } of frames) {
      if (type === FrameType.GoAway || type === FrameType.Error) return true;
    }
  } catch {
    // A malformed message after the end changes nothing.
  }
  return false;
}

export function errorFrame(code: string, message: string): Uint8Array<ArrayBuffer> {
  return encodeFrame(
    FrameType.Error,
    0,
    0,
    encodeReason({ code, message: message.slice(0, 1024) }),
  );
}

/** The GOAWAY of a clean close. */
export function goAwayFrame(message: string): Uint8Array<ArrayBuffer> {
  return encodeFrame(FrameType.GoAway, 0, 0, encodeReason({ code: 'closing', message }));
}

/** What the peer's ERROR frame says, as the error our session ends with. */
export function peerErrorOf(payload: Uint8Array): ProtocolError {
  const { code, message } = decodeReason(payload);
  const known = isProtocolErrorCode(code) ? code : 'internal';
  return new ProtocolError(known, `peer reported a protocol error (${code}): ${message}`);
}

/** What the peer's GOAWAY frame says, as the error unfinished exchanges fail with. */
export function peerGoAwayOf(payload: Uint8Array): SessionClosedError {
  const { message } = decodeReason(payload);
  return new SessionClosedError(`peer closed the session${message ? `: ${message}` : ''}`);
}

/**
 * After our GOAWAY or ERROR the peer closes the channel; if it does not within the grace,
 * we do. The grace counts from when the farewell has left our queue: on a slow link with
 * much queued ahead of it, the peer has not heard it yet and may still be sending, and a
 * queue that does not drain for the dead interval means the peer is gone. If the peer said
 * goodbye too (both saw a bad HELLO, say), both are quiet and one side must close: the
 * client does, at once; the server keeps waiting.
 */
export function awaitPeerClose(
  channel: DataChannelLike,
  options: Pick<ResolvedSessionOptions, 'role' | 'maxFrameSize' | 'closeGraceMs' | 'deadAfterMs'>,
): void {
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  const done = () => {
    clearTimeout(graceTimer);
    clearInterval(drainTimer);
    channel.removeEventListener('close', done);
    channel.removeEventListener('message', onMessage);
  };
  const closeNow = () => {
    done();
    closeChannel(channel);
  };
  const onMessage = (event: { data: unknown }) => {
    if (options.role === 'client' && isFarewell(event.data, options.maxFrameSize)) closeNow();
  };
  const startGrace = () => {
    clearInterval(drainTimer);
    graceTimer = setTimeout(closeNow, options.closeGraceMs);
  };
  channel.addEventListener('close', done);
  channel.addEventListener('message', onMessage);
  if (queuedToSend(channel) === 0) {
    startGrace();
    return;
  }
  const since = Date.now();
  drainTimer = setInterval(() => {
    if (queuedToSend(channel) === 0 || Date.now() - since >= options.deadAfterMs) startGrace();
  }, FAREWELL_DRAIN_POLL_MS);
}

/** Bytes the channel still holds to send (a blocking call on wrtc: only while closing). */
function queuedToSend(channel: DataChannelLike): number {
  try {
    return channel.bufferedAmount;
  } catch {
    return 0;
  }
}

export function closeChannel(channel: DataChannelLike): void {
  try {
    channel.close();
  } catch {
    // Closing an already closed channel is fine.
  }
}
