/**
 * What a session does with each message from the peer: decodes it, unpacks a BATCH, and
 * hands every frame to the part of the session it concerns (PROTOCOL.md §2, §5.1, §8).
 */
import { ProtocolError, type SessionClosedError, toError } from '../errors.js';
import { decodeHello } from '../wire/control.js';
import { decodeBatch, decodeFrame, encodeFrame, type Frame, readUint32 } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import { peerErrorOf, peerGoAwayOf } from './farewell.js';
import type { Handshake } from './handshake.js';
import type { Liveness } from './liveness.js';
import type { ResolvedSessionOptions } from './options.js';
import { admitBeforeOpen } from './pre-auth.js';
import type { FrameScheduler } from './scheduler.js';
import type { TicketTable } from './ticket-table.js';

export type SessionState = 'opening' | 'handshake' | 'open' | 'closed';

/** The parts of a session that incoming frames reach, and what ends it. */
export interface DispatchTarget {
  readonly options: Pick<ResolvedSessionOptions, 'role' | 'maxFrameSize' | 'batch'>;
  /** Largest message read while the session is not open yet. */
  readonly preAuthLimit: number;
  readonly handshake: Handshake;
  readonly liveness: Liveness;
  readonly scheduler: FrameScheduler;
  readonly tickets: TicketTable;
  state(): SessionState;
  /** Sends our HELLO, if we have not yet. */
  start(): void;
  /** A protocol violation: tell the peer why, then close. */
  fail(error: ProtocolError): void;
  /** The peer sent ERROR: the session ends with it. */
  peerFailed(error: ProtocolError): void;
  /** The peer sent GOAWAY: a clean end; unfinished exchanges fail with `error`. */
  peerClosed(error: SessionClosedError): void;
}

export function unexpected(message: string): ProtocolError {
  return new ProtocolError('unexpected-frame', message);
}

/** Takes one message from the channel; a violation in it fails the session. */
export function receiveMessage(data: unknown, s: DispatchTarget): void {
  if (s.state() === 'closed') return;
  // Some stacks (@roamhq/wrtc) deliver the first message before the 'open' event.
  if (s.state() === 'opening') s.start();
  s.liveness.received();
  try {
    if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) {
      throw new ProtocolError(
        'malformed-frame',
        `received a ${typeof data} message; frames are binary`,
      );
    }
    const open = s.state() === 'open';
    const frame = decodeFrame(data, open ? s.options.maxFrameSize : s.preAuthLimit);
    if (frame.type === FrameType.Batch) dispatchBatch(frame.payload, s);
    else dispatch(frame, s);
  } catch (error) {
    s.fail(
      error instanceof ProtocolError
        ? error
        : new ProtocolError('internal', toError(error).message),
    );
  }
}

function dispatchBatch(payload: Uint8Array, s: DispatchTarget): void {
  if (s.state() !== 'open') admitBeforeOpen(s.options.role, FrameType.Batch);
  if (!s.options.batch || !s.handshake.peerHello) throw unexpected('BATCH that was not accepted');
  for (const frame of decodeBatch(payload, s.options.maxFrameSize)) {
    // A frame that ends the session (GOAWAY, ERROR, a violation) ends the batch too.
    if (s.state() === 'closed') return;
    dispatch(frame, s);
  }
}

function dispatch(frame: Frame, s: DispatchTarget): void {
  const state = s.state();
  if (state !== 'open' && !admitBeforeOpen(s.options.role, frame.type)) return;
  switch (frame.type) {
    case FrameType.Hello:
      s.handshake.receiveHello(decodeHello(frame.payload));
      break;
    case FrameType.Auth:
      s.handshake.receiveAuth(frame.payload, state === 'handshake');
      break;
    case FrameType.Ping:
      s.scheduler.sendNow(encodeFrame(FrameType.Pong, 0, 0, frame.payload));
      break;
    case FrameType.Pong:
      s.liveness.pong(readUint32(frame.payload));
      break;
    case FrameType.Error:
      s.peerFailed(peerErrorOf(frame.payload));
      break;
    case FrameType.GoAway:
      s.peerClosed(peerGoAwayOf(frame.payload));
      break;
    default:
      if (state !== 'open')
        throw unexpected(`frame 0x${frame.type.toString(16)} before the handshake finished`);
      s.tickets.receive(frame);
      break;
  }
}
