import type { DataChannelLike } from '../channel.js';
import {
  FAREWELL_DRAIN_POLL_MS,
  FRAME_HEADER_SIZE,
  HEAD_LENGTH_SIZE,
  MAX_HEAD_SIZE,
  PROTOCOL_VERSIONS,
} from '../constants.js';
import {
  isProtocolErrorCode,
  ProtocolError,
  SessionClosedError,
  SessionDeadError,
  toError,
  UnsupportedVersionError,
} from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import {
  decodeHello,
  decodeReason,
  encodeHello,
  encodeReason,
  type Hello,
} from '../wire/control.js';
import {
  decodeBatch,
  decodeFrame,
  encodeFrame,
  encodeUint32,
  type Frame,
  MAX_TICKET_ID,
  readUint32,
  splitMessagePayload,
} from '../wire/frame.js';
import { FrameFlag, FrameType } from '../wire/frame-types.js';
import {
  decodeRequestHead,
  decodeResponseHead,
  encodeRequestHead,
  type RequestHead,
  type ResponseHead,
} from '../wire/heads.js';
import type { Authenticator } from './auth.js';
import { AuthInbox } from './auth-inbox.js';
import type { BodySource } from './body-source.js';
import { deferred } from './deferred.js';
import { errorFrame, isFarewell } from './farewell.js';
import { Liveness } from './liveness.js';
import {
  type ResolvedSessionOptions,
  resolveSessionOptions,
  type SessionOptions,
} from './options.js';
import { admitBeforeOpen, farewellText, preAuthMessageLimit } from './pre-auth.js';
import { FrameScheduler } from './scheduler.js';
import { Ticket, type TicketContext } from './ticket.js';

export type ClientTicket = Ticket<ResponseHead>;
export type ServerTicket = Ticket<RequestHead>;

/** One PeerFetch session over one DataChannel. See PROTOCOL.md for the rules it enforces. */
export interface Session {
  readonly role: 'client' | 'server';
  /** Resolves once the handshake (and authentication, if configured) is done. */
  readonly ready: Promise<void>;
  /** Resolves when the session has closed: undefined if cleanly, else the reason. */
  readonly closed: Promise<Error | undefined>;
  readonly isClosed: boolean;
  /** Latest ping round-trip time in milliseconds; undefined before the first pong. */
  readonly rttMs: number | undefined;
  /** Frame size in use after the handshake. */
  readonly maxFrameSize: number;
  /** Closes cleanly; pending exchanges fail with SessionClosedError (or `reason`). */
  close(reason?: Error): void;
}

/** Starts a session on a channel that is open or opening. */
export function openSession(channel: DataChannelLike, options: SessionOptions): PeerFetchSession {
  return new PeerFetchSession(channel, resolveSessionOptions(options));
}

export class PeerFetchSession implements Session {
  readonly role: 'client' | 'server';
  readonly #channel: DataChannelLike;
  readonly #o: ResolvedSessionOptions;
  readonly #log: Logger;
  readonly #ready = deferred<void>();
  readonly #closed = deferred<Error | undefined>();
  readonly #tickets = new Map<number, Ticket<RequestHead> | Ticket<ResponseHead>>();
  readonly #scheduler: FrameScheduler;
  readonly #liveness: Liveness;
  readonly #auth: AuthInbox;
  readonly #preAuthLimit: number;
  #state: 'opening' | 'handshake' | 'open' | 'closed' = 'opening';
  #peerHello: Hello | undefined;
  #maxFrameSize: number;
  #nextTicketId = 1;
  #highestPeerTicket = 0;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #authRun: Promise<void> | undefined;
  /**
   * Who closes the channel (PROTOCOL.md §8): the side that receives GOAWAY or ERROR, once it
   * has gone quiet; the side that said it waits. @roamhq/wrtc frees a channel on its network
   * thread when a close completes, and a `send` running at that moment crashes the process
   * (SIGSEGV in RTCDataChannel::Send): a channel must close only when its peer sends nothing.
   */
  #peerSaidGoodbye = false;
  /** The channel's close event came: nothing may touch it any more. */
  #channelClosed = false;
  #onRequest: ((ticket: ServerTicket, head: RequestHead) => void) | undefined;

  constructor(channel: DataChannelLike, options: ResolvedSessionOptions) {
    this.role = options.role;
    this.#channel = channel;
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#maxFrameSize = Math.min(options.maxFrameSize, options.maxMessageSize);
    this.#preAuthLimit = preAuthMessageLimit(options.role, options.maxFrameSize);
    this.#scheduler = new FrameScheduler(channel, {
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
      drainPollMs: options.drainPollMs,
      onSendError: (error) =>
        this.#terminate(new SessionClosedError(`send failed: ${toError(error).message}`)),
    });
    this.#liveness = new Liveness({
      pingIntervalMs: options.pingIntervalMs,
      deadAfterMs: options.deadAfterMs,
      sendPing: (id) =>
        this.#scheduler.sendNow(encodeFrame(FrameType.Ping, 0, 0, encodeUint32(id))),
      onDead: (silentFor) =>
        this.#terminate(new SessionDeadError(`no frame from the peer for ${silentFor} ms`)),
    });
    this.#auth = new AuthInbox(this.role, (message) =>
      this.#scheduler.sendNow(encodeFrame(FrameType.Auth, 0, 0, message)),
    );
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('message', this.#onMessage);
    channel.addEventListener('close', this.#onChannelClose);
    channel.addEventListener('error', this.#onChannelError);
    if (channel.readyState === 'open') this.#start();
    else if (channel.readyState === 'connecting') channel.addEventListener('open', this.#onOpen);
    else this.#terminate(new SessionClosedError(`data channel is ${channel.readyState}`));
  }

  get ready(): Promise<void> {
    return this.#ready.promise;
  }
  get closed(): Promise<Error | undefined> {
    return this.#closed.promise;
  }
  get isClosed(): boolean {
    return this.#state === 'closed';
  }
  get rttMs(): number | undefined {
    return this.#liveness.rttMs;
  }
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  close(reason?: Error): void {
    const message = reason?.message ?? 'closing';
    this.#terminate(
      reason,
      encodeFrame(FrameType.GoAway, 0, 0, encodeReason({ code: 'closing', message })),
    );
  }

  /** Client: opens a ticket and sends a request on it. */
  startRequest(head: RequestHead, body: BodySource): ClientTicket {
    if (this.#state !== 'open') throw new SessionClosedError('session is not open');
    if (this.#nextTicketId > MAX_TICKET_ID)
      throw new SessionClosedError('ticket ids exhausted; open a new session');
    const encoded = encodeRequestHead(head);
    const room = Math.min(MAX_HEAD_SIZE, this.#maxFrameSize - FRAME_HEADER_SIZE - HEAD_LENGTH_SIZE);
    if (encoded.byteLength > room) {
      throw new TypeError(
        `request head of ${encoded.byteLength} bytes exceeds the ${room}-byte limit`,
      );
    }
    const ticket = new Ticket<ResponseHead>(this.#nextTicketId++, this.#ticketContext());
    this.#tickets.set(ticket.id, ticket);
    ticket.send(FrameType.Request, encoded, body);
    return ticket;
  }

  /** Server: receives every request that opens a ticket. */
  onRequest(listener: (ticket: ServerTicket, head: RequestHead) => void): void {
    this.#onRequest = listener;
  }

  readonly #onOpen = () => this.#start();
  readonly #onChannelClose = () => {
    this.#channelClosed = true;
    this.#terminateAfterAuth(new SessionClosedError('data channel closed'));
  };
  readonly #onChannelError = (event: { error?: unknown }) =>
    this.#terminate(
      new SessionClosedError(`data channel error: ${toError(event.error ?? 'unknown').message}`),
    );

  #start(): void {
    if (this.#state !== 'opening') return;
    this.#state = 'handshake';
    const hello: Hello = {
      versions: [...PROTOCOL_VERSIONS],
      maxFrameSize: this.#o.maxFrameSize,
      window: this.#o.window,
    };
    if (this.#o.agent) hello.agent = this.#o.agent;
    if (this.#o.batch) hello.batch = true;
    this.#scheduler.sendNow(encodeFrame(FrameType.Hello, 0, 0, encodeHello(hello)));
    this.#handshakeTimer = setTimeout(
      () =>
        this.#fail(
          new ProtocolError(
            'handshake-failed',
            `handshake did not finish within ${this.#o.handshakeTimeoutMs} ms`,
          ),
        ),
      this.#o.handshakeTimeoutMs,
    );
  }

  readonly #onMessage = (event: { data: unknown }) => {
    if (this.#state === 'closed') return;
    // Some stacks (@roamhq/wrtc) deliver the first message before the 'open' event.
    if (this.#state === 'opening') this.#start();
    this.#liveness.received();
    try {
      const { data } = event;
      if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) {
        throw new ProtocolError(
          'malformed-frame',
          `received a ${typeof data} message; frames are binary`,
        );
      }
      const open = this.#state === 'open';
      const frame = decodeFrame(data, open ? this.#o.maxFrameSize : this.#preAuthLimit);
      if (frame.type === FrameType.Batch) this.#dispatchBatch(frame.payload);
      else this.#dispatch(frame);
    } catch (error) {
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError('internal', toError(error).message),
      );
    }
  };

  #dispatchBatch(payload: Uint8Array): void {
    if (this.#state !== 'open') admitBeforeOpen(this.role, FrameType.Batch);
    if (!this.#o.batch || !this.#peerHello) throw unexpected('BATCH that was not accepted');
    for (const frame of decodeBatch(payload, this.#o.maxFrameSize)) {
      // A frame that ends the session (GOAWAY, ERROR, a violation) ends the batch too.
      if (this.#state === 'closed') return;
      this.#dispatch(frame);
    }
  }

  #dispatch(frame: Frame): void {
    if (this.#state !== 'open' && !admitBeforeOpen(this.role, frame.type)) return;
    switch (frame.type) {
      case FrameType.Hello:
        this.#receiveHello(decodeHello(frame.payload));
        break;
      case FrameType.Auth:
        if (this.#state !== 'handshake' || !this.#peerHello)
          throw unexpected('AUTH outside the handshake');
        this.#auth.deliver(frame.payload);
        break;
      case FrameType.Ping:
        this.#scheduler.sendNow(encodeFrame(FrameType.Pong, 0, 0, frame.payload));
        break;
      case FrameType.Pong:
        this.#liveness.pong(readUint32(frame.payload));
        break;
      case FrameType.Error: {
        const { code, message } = decodeReason(frame.payload);
        const known = isProtocolErrorCode(code) ? code : 'internal';
        const peerError = new ProtocolError(
          known,
          `peer reported a protocol error (${code}): ${message}`,
        );
        this.#peerHasSaidGoodbye();
        this.#terminateAfterAuth(peerError);
        break;
      }
      case FrameType.GoAway: {
        const { message } = decodeReason(frame.payload);
        const closing = new SessionClosedError(
          `peer closed the session${message ? `: ${message}` : ''}`,
        );
        this.#peerHasSaidGoodbye();
        this.#terminate(undefined, undefined, closing);
        break;
      }
      default:
        this.#dispatchTicketFrame(frame);
        break;
    }
  }

  #dispatchTicketFrame(frame: Frame): void {
    if (this.#state !== 'open')
      throw unexpected(`frame 0x${frame.type.toString(16)} before the handshake finished`);
    const end = (frame.flags & FrameFlag.End) !== 0;
    if (frame.type === FrameType.Request) {
      this.#receiveRequest(frame, end);
      return;
    }
    const ticket = this.#tickets.get(frame.ticket);
    if (!ticket) {
      if (this.#isPastTicket(frame.ticket)) return; // finished or cancelled: late frames are expected
      throw new ProtocolError(
        'bad-ticket',
        `frame for ticket ${frame.ticket}, which was never opened`,
      );
    }
    switch (frame.type) {
      case FrameType.Response: {
        if (this.role !== 'client') throw unexpected('RESPONSE sent to a server');
        const { head, body } = splitMessagePayload(frame.payload);
        (ticket as ClientTicket).receiveHead(decodeResponseHead(head), head.byteLength, body, end);
        break;
      }
      case FrameType.Data:
        ticket.receiveData(frame.payload, end);
        break;
      case FrameType.Credit:
        ticket.receiveCredit(readUint32(frame.payload));
        break;
      case FrameType.Cancel:
        ticket.receiveCancel(decodeReason(frame.payload));
        break;
      default:
        throw unexpected(`frame type 0x${frame.type.toString(16)} on a ticket`);
    }
  }

  #receiveRequest(frame: Frame, end: boolean): void {
    if (this.role !== 'server') throw unexpected('REQUEST sent to a client');
    if (frame.ticket <= this.#highestPeerTicket) {
      throw new ProtocolError(
        'bad-ticket',
        `ticket ${frame.ticket} reused or out of order (last was ${this.#highestPeerTicket})`,
      );
    }
    this.#highestPeerTicket = frame.ticket;
    const { head: headBytes, body } = splitMessagePayload(frame.payload);
    const head = decodeRequestHead(headBytes);
    const ticket = new Ticket<RequestHead>(frame.ticket, this.#ticketContext());
    this.#tickets.set(ticket.id, ticket);
    ticket.receiveHead(head, headBytes.byteLength, body, end);
    if (!this.#onRequest) {
      ticket.cancel(new SessionClosedError('no request handler'), {
        code: 'no-handler',
        message: 'this peer serves no requests',
      });
      return;
    }
    this.#onRequest(ticket, head);
  }

  #isPastTicket(id: number): boolean {
    return this.role === 'client' ? id < this.#nextTicketId : id <= this.#highestPeerTicket;
  }

  #receiveHello(hello: Hello): void {
    if (this.#peerHello) throw unexpected('second HELLO');
    this.#peerHello = hello;
    const common = PROTOCOL_VERSIONS.filter((v) => hello.versions.includes(v));
    if (common.length === 0) {
      const message = `peer speaks versions [${hello.versions.join(', ')}], we speak [${PROTOCOL_VERSIONS.join(', ')}]`;
      this.#terminate(
        new UnsupportedVersionError(message),
        errorFrame('unsupported-version', message),
      );
      return;
    }
    this.#maxFrameSize = Math.min(this.#maxFrameSize, hello.maxFrameSize);
    if (this.#maxFrameSize < FRAME_HEADER_SIZE + 1024) {
      throw new ProtocolError(
        'malformed-frame',
        `peer accepts frames of only ${hello.maxFrameSize} bytes`,
      );
    }
    this.#log.debug(
      { peerAgent: hello.agent, maxFrameSize: this.#maxFrameSize, batch: hello.batch === true },
      'peerfetch handshake',
    );
    // Without an authenticator the session opens synchronously, before the next frame.
    if (this.#o.authenticate) this.#authRun = this.#authenticateThenOpen(this.#o.authenticate);
    else this.#open();
  }

  async #authenticateThenOpen(authenticate: Authenticator): Promise<void> {
    try {
      await authenticate(this.#auth);
    } catch (error) {
      // The cause keeps the authenticator's own error (for example "device not verified").
      const cause = toError(error);
      const failure = new ProtocolError(
        'handshake-failed',
        `authentication failed: ${cause.message}`,
        {
          cause,
        },
      );
      // If the peer already left, #terminate says nothing more to it.
      this.#fail(failure);
      return;
    }
    this.#open();
  }

  #open(): void {
    if (this.#state !== 'handshake') return;
    clearTimeout(this.#handshakeTimer);
    this.#state = 'open';
    // Batches and pings only now: before it, a side sends the handshake alone (§5.1).
    if (this.#o.batch && this.#peerHello?.batch) this.#scheduler.enableBatching(this.#maxFrameSize);
    this.#liveness.start();
    this.#ready.resolve();
  }

  #ticketContext(): TicketContext {
    return {
      role: this.role,
      window: this.#o.window,
      peerWindow: this.#peerHello?.window ?? 0,
      maxFrameSize: this.#maxFrameSize,
      headCoalesceMs: this.#o.headCoalesceMs,
      sendControl: (frame) => this.#scheduler.sendNow(frame),
      schedule: (message) => this.#scheduler.schedule(message),
      release: (id) => this.#tickets.delete(id),
    };
  }

  /**
   * Ends the session, but first lets a running authenticator read the AUTH messages that
   * arrived before the end: a refusal there says why, and its error becomes the reason.
   */
  #terminateAfterAuth(error: Error): void {
    if (this.#state !== 'handshake' || !this.#authRun) {
      this.#terminate(error);
      return;
    }
    this.#auth.close(error);
    void this.#authRun.finally(() => this.#terminate(error));
  }

  /** The peer is about to wait for us to close the channel: from now on we send nothing. */
  #peerHasSaidGoodbye(): void {
    this.#peerSaidGoodbye = true;
    this.#scheduler.close();
  }

  /** A protocol violation: tell the peer why, then close. */
  #fail(error: ProtocolError): void {
    if (this.#state === 'closed') return;
    this.#log.warn({ code: error.code, err: error.message }, 'peerfetch session failed');
    const text = farewellText(this.role, this.#state === 'open', error);
    this.#terminate(error, errorFrame(error.code, text));
  }

  /**
   * The one way a session ends. `error` is what `closed` reports (undefined = clean);
   * `pendingError` is what unfinished exchanges fail with.
   */
  #terminate(
    error: Error | undefined,
    farewell?: Uint8Array<ArrayBuffer>,
    pendingError?: Error,
  ): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const saysGoodbye =
      farewell !== undefined &&
      !this.#peerSaidGoodbye &&
      !this.#channelClosed &&
      this.#channel.readyState === 'open';
    // Frames this turn produced (a last response, a CANCEL) go before the farewell.
    if (saysGoodbye) this.#scheduler.sendLast(farewell);
    const failure = pendingError ?? error ?? new SessionClosedError('session closed');
    clearTimeout(this.#handshakeTimer);
    this.#liveness.stop();
    this.#scheduler.close();
    this.#auth.close(failure);
    for (const ticket of [...this.#tickets.values()]) ticket.fail(failure);
    this.#tickets.clear();
    this.#channel.removeEventListener('message', this.#onMessage);
    this.#channel.removeEventListener('close', this.#onChannelClose);
    this.#channel.removeEventListener('error', this.#onChannelError);
    this.#channel.removeEventListener('open', this.#onOpen);
    if (saysGoodbye) this.#awaitPeerClose();
    else if (!this.#channelClosed) this.#closeChannel();
    this.#ready.reject(failure);
    this.#closed.resolve(error);
  }

  /**
   * After our GOAWAY or ERROR the peer closes the channel; if it does not within the grace,
   * we do. The grace counts from when the farewell has left our queue: on a slow link with
   * much queued ahead of it, the peer has not heard it yet and may still be sending, and a
   * queue that does not drain for the dead interval means the peer is gone. If the peer said
   * goodbye too (both saw a bad HELLO, say), both are quiet and one side must close: the
   * client does, at once; the server keeps waiting.
   */
  #awaitPeerClose(): void {
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let drainTimer: ReturnType<typeof setInterval> | undefined;
    const done = () => {
      clearTimeout(graceTimer);
      clearInterval(drainTimer);
      this.#channel.removeEventListener('close', done);
      this.#channel.removeEventListener('message', onMessage);
    };
    const closeNow = () => {
      done();
      this.#closeChannel();
    };
    const onMessage = (event: { data: unknown }) => {
      if (this.role === 'client' && isFarewell(event.data, this.#o.maxFrameSize)) closeNow();
    };
    const startGrace = () => {
      clearInterval(drainTimer);
      graceTimer = setTimeout(closeNow, this.#o.closeGraceMs);
    };
    this.#channel.addEventListener('close', done);
    this.#channel.addEventListener('message', onMessage);
    if (this.#queuedToSend() === 0) {
      startGrace();
      return;
    }
    const since = Date.now();
    drainTimer = setInterval(() => {
      if (this.#queuedToSend() === 0 || Date.now() - since >= this.#o.deadAfterMs) startGrace();
    }, FAREWELL_DRAIN_POLL_MS);
  }

  /** Bytes the channel still holds to send (a blocking call on wrtc: only while closing). */
  #queuedToSend(): number {
    try {
      return this.#channel.bufferedAmount;
    } catch {
      return 0;
    }
  }

  #closeChannel(): void {
    try {
      this.#channel.close();
    } catch {
      // Closing an already closed channel is fine.
    }
  }
}

function unexpected(message: string): ProtocolError {
  return new ProtocolError('unexpected-frame', message);
}
