import { ProtocolError, StreamResetError } from '../errors.js';
import { encodeReason, type Reason } from '../wire/control.js';
import { encodeFrame, encodeUint32 } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import type { BodySource } from './body-source.js';
import { type Deferred, deferred } from './deferred.js';
import { IncomingBody } from './incoming.js';
import { OutgoingMessage } from './outgoing.js';

/** What a ticket needs from its session. */
export interface TicketContext {
  role: 'client' | 'server';
  /** Our announced per-ticket window. */
  window: number;
  /** The peer's announced per-ticket window: our initial credit. */
  peerWindow: number;
  maxFrameSize: number;
  headCoalesceMs: number;
  sendControl(frame: Uint8Array<ArrayBuffer>): void;
  schedule(message: OutgoingMessage): void;
  /** The ticket has finished in both directions and can be forgotten. */
  release(id: number): void;
}

/** The peer's half of an exchange: its head and its body. */
export interface PeerMessage<Head> {
  head: Head;
  /** Encoded size of the head in bytes, for limits. */
  headSize: number;
  /** Made on first use (see IncomingBody.stream). */
  readonly body: ReadableStream<Uint8Array>;
  /** True when the message arrived complete in its first frame with no body bytes. */
  empty: boolean;
  /** The whole body, when the message arrived complete in its first frame (`body` then need not be made). */
  whole: Uint8Array | undefined;
}

/**
 * One request/response exchange: our outgoing message, the peer's incoming one, the
 * credit between them, and cancellation in both directions.
 */
export class Ticket<PeerHead> {
  readonly id: number;
  readonly #ctx: TicketContext;
  /**
   * Made when someone asks for the signal: a client's ticket is rarely asked, and each
   * AbortController is garbage per request (docs/PERFORMANCE.md#why-buffered-small-answers).
   */
  #abort: AbortController | undefined;
  #abortReason: Error | undefined;
  readonly #peer: Deferred<PeerMessage<PeerHead>> = deferred();
  readonly #done = deferred<void>();
  #outgoing: OutgoingMessage | undefined;
  #incoming: IncomingBody | undefined;
  #released = false;

  constructor(id: number, context: TicketContext) {
    this.id = id;
    this.#ctx = context;
  }

  /** Aborted when the exchange is cancelled from either side or the session ends. */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#abortReason) this.#abort.abort(this.#abortReason);
    }
    return this.#abort.signal;
  }

  /** Resolves when the exchange is over in both directions, however it ended. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** The peer's message, once its head arrives. */
  get peerMessage(): Promise<PeerMessage<PeerHead>> {
    return this.#peer.promise;
  }

  /** Starts sending our message. */
  send(
    type: typeof FrameType.Request | typeof FrameType.Response | typeof FrameType.WebSocket,
    head: Uint8Array,
    body: BodySource,
  ): void {
    if (this.#outgoing || this.#released) return;
    const message = new OutgoingMessage({
      ticket: this.id,
      type,
      head,
      body,
      initialCredit: this.#ctx.peerWindow,
      maxFrameSize: this.#ctx.maxFrameSize,
      headCoalesceMs: this.#ctx.headCoalesceMs,
      onReady: () => this.#ctx.schedule(message),
      onSourceError: (error) => this.cancel(error, { code: 'body-error', message: error.message }),
      onEndSent: () => this.#onEndSent(),
    });
    this.#outgoing = message;
    this.#ctx.schedule(message);
  }

  receiveHead(head: PeerHead, headSize: number, body: Uint8Array, end: boolean): void {
    if (this.#incoming)
      throw new ProtocolError('unexpected-frame', `second head on ticket ${this.id}`);
    const incoming = new IncomingBody({
      window: this.#ctx.window,
      grant: (bytes) =>
        this.#ctx.sendControl(encodeFrame(FrameType.Credit, 0, this.id, encodeUint32(bytes))),
      onCancel: (reason) => this.#onIncomingCancelled(reason),
    });
    this.#incoming = incoming;
    incoming.push(body, end);
    this.#peer.resolve({
      head,
      headSize,
      get body() {
        return incoming.stream;
      },
      empty: end && body.byteLength === 0,
      whole: end ? body : undefined,
    });
    this.#maybeRelease();
  }

  /**
   * Client: the peer's response head cannot be taken (too many header fields). `standIn`
   * and its whole `body` answer the request instead, and the peer is told to stop sending
   * this message; the session and its other exchanges go on.
   */
  refuseHead(standIn: PeerHead, body: Uint8Array, reason: Reason): void {
    if (this.#released) return;
    this.#ctx.sendControl(encodeFrame(FrameType.Cancel, 0, this.id, encodeReason(reason)));
    this.receiveHead(standIn, 0, body, true);
    this.#finish(undefined, new StreamResetError(reason.message));
  }

  receiveData(bytes: Uint8Array, end: boolean): void {
    if (!this.#incoming)
      throw new ProtocolError('unexpected-frame', `body bytes before a head on ticket ${this.id}`);
    this.#incoming.push(bytes, end);
    if (end) this.#maybeRelease();
  }

  receiveCredit(bytes: number): void {
    if (bytes === 0) throw new ProtocolError('flow-control', 'CREDIT of zero bytes');
    this.#outgoing?.addCredit(bytes);
  }

  /** The peer abandoned the exchange. */
  receiveCancel(reason: Reason): void {
    const completed = this.#incoming?.ended === true;
    // A server that has answered in full may stop our upload: that is not a failure.
    const error = new StreamResetError(
      `peer cancelled the exchange (${reason.code}${reason.message ? `: ${reason.message}` : ''})`,
    );
    this.#finish(completed ? undefined : error, error);
  }

  /**
   * Abandons the exchange from our side, telling the peer, if it knows of the ticket: a
   * request cancelled before its head left is never sent at all (a CANCEL would reach the
   * peer before the REQUEST it cancels, which is a `bad-ticket` error).
   */
  cancel(error: Error, reason: Reason = { code: 'cancelled', message: error.message }): void {
    if (this.#released) return;
    const peerKnows = this.#ctx.role === 'server' || this.#outgoing?.headSent === true;
    if (peerKnows) {
      this.#ctx.sendControl(encodeFrame(FrameType.Cancel, 0, this.id, encodeReason(reason)));
    }
    this.#finish(error, error);
  }

  /** The session is ending: fail whatever is unfinished, without telling the peer. */
  fail(error: Error): void {
    this.#finish(error, error);
  }

  #onIncomingCancelled(reason: unknown): void {
    // A server that stops reading the upload is about to answer early (413, 502, 504): its
    // answer goes out first, and the CANCEL `response-complete` after its end stops the
    // upload, so the client keeps the answer instead of a reset.
    if (this.#ctx.role === 'server' && !this.#outgoing?.isFinished) return;
    this.cancel(asError(reason), { code: 'cancelled', message: 'reader cancelled the body' });
  }

  #onEndSent(): void {
    // Our answer is complete; the rest of the peer's upload is no longer wanted.
    if (this.#ctx.role === 'server' && this.#incoming && !this.#incoming.ended) {
      this.cancel(new StreamResetError('response complete'), {
        code: 'response-complete',
        message: '',
      });
      return;
    }
    this.#maybeRelease();
  }

  #finish(incomingError: Error | undefined, abortReason: Error): void {
    if (this.#released) return;
    this.#released = true;
    this.#outgoing?.stop(abortReason);
    if (incomingError) {
      this.#incoming?.fail(incomingError);
      this.#peer.reject(incomingError);
    }
    this.#abortReason = abortReason;
    this.#abort?.abort(abortReason);
    this.#release();
  }

  #maybeRelease(): void {
    if (this.#released || !this.#incoming?.ended || !this.#outgoing?.isFinished) return;
    this.#released = true;
    this.#release();
  }

  #release(): void {
    this.#ctx.release(this.id);
    this.#done.resolve();
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new StreamResetError(String(reason ?? 'cancelled'));
}
