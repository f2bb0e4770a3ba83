import type { DataChannelLike } from '../channel.js';
import { type ProtocolError, SessionClosedError, SessionDeadError, toError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { encodeFrame, encodeUint32 } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import type { RequestHead } from '../wire/heads.js';
import type { BodySource } from './body-source.js';
import { deferred } from './deferred.js';
import { type DispatchTarget, receiveMessage, type SessionState } from './dispatch.js';
import { awaitPeerClose, closeChannel, errorFrame, goAwayFrame } from './farewell.js';
import { Handshake } from './handshake.js';
import { Liveness } from './liveness.js';
import {
  type ResolvedSessionOptions,
  resolveSessionOptions,
  type SessionOptions,
} from './options.js';
import {
  PeerWebSocket,
  type PeerWebSocketOptions,
  WebSocketUnsupportedError,
} from './peer-websocket.js';
import { farewellText, preAuthMessageLimit } from './pre-auth.js';
import { FrameScheduler } from './scheduler.js';
import type { TicketContext } from './ticket.js';
import { type ClientTicket, type RequestListener, TicketTable } from './ticket-table.js';

export type { ClientTicket, ServerTicket } from './ticket-table.js';

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
  /**
   * Whether the peer still answers (after a network change, say): a ping now, true as soon
   * as anything arrives, false if nothing does within `timeoutMs` or the session is not open.
   */
  probe(timeoutMs: number): Promise<boolean>;
  /** Closes cleanly; pending exchanges fail with SessionClosedError (or `reason`). */
  close(reason?: Error): void;
}

/** Starts a session on a channel that is open or opening. */
export function openSession(channel: DataChannelLike, options: SessionOptions): PeerFetchSession {
  return new PeerFetchSession(channel, resolveSessionOptions(options));
}

/**
 * The coordinator: owns the session's state and its channel, and ends it. The handshake,
 * the routing of incoming frames, the exchanges and the closing of the channel each live in
 * their own file.
 */
export class PeerFetchSession implements Session {
  readonly role: 'client' | 'server';
  readonly #channel: DataChannelLike;
  readonly #o: ResolvedSessionOptions;
  readonly #log: Logger;
  readonly #ready = deferred<void>();
  readonly #closed = deferred<Error | undefined>();
  readonly #scheduler: FrameScheduler;
  readonly #liveness: Liveness;
  readonly #handshake: Handshake;
  readonly #tickets: TicketTable;
  readonly #dispatch: DispatchTarget;
  #state: SessionState = 'opening';
  /**
   * Who closes the channel (PROTOCOL.md §8): the side that receives GOAWAY or ERROR, once it
   * has gone quiet; the side that said it waits. @roamhq/wrtc frees a channel on its network
   * thread when a close completes, and a `send` running at that moment crashes the process
   * (SIGSEGV in RTCDataChannel::Send): a channel must close only when its peer sends nothing.
   */
  #peerSaidGoodbye = false;
  /** The channel's close event came: nothing may touch it any more. */
  #channelClosed = false;

  constructor(channel: DataChannelLike, options: ResolvedSessionOptions) {
    this.role = options.role;
    this.#channel = channel;
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
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
    this.#handshake = new Handshake(options, this.#log, {
      sendNow: (frame) => this.#scheduler.sendNow(frame),
      fail: (error) => this.#fail(error),
      terminate: (error, farewell) => this.#terminate(error, farewell),
      open: () => this.#open(),
    });
    this.#tickets = new TicketTable(
      this.role,
      () => this.#ticketContext(),
      () => this.#handshake.webSocketAgreed,
    );
    this.#dispatch = {
      options,
      preAuthLimit: preAuthMessageLimit(options.role, options.maxFrameSize),
      handshake: this.#handshake,
      liveness: this.#liveness,
      scheduler: this.#scheduler,
      tickets: this.#tickets,
      state: () => this.#state,
      start: () => this.#start(),
      fail: (error) => this.#fail(error),
      peerFailed: (error) => {
        this.#peerHasSaidGoodbye();
        this.#terminateAfterAuth(error);
      },
      peerClosed: (error) => {
        this.#peerHasSaidGoodbye();
        this.#terminate(undefined, undefined, error);
      },
    };
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
    return this.#handshake.maxFrameSize;
  }

  probe(timeoutMs: number): Promise<boolean> {
    if (this.#state !== 'open') return Promise.resolve(false);
    return this.#liveness.probe(timeoutMs);
  }

  close(reason?: Error): void {
    this.#terminate(reason, goAwayFrame(reason?.message ?? 'closing'));
  }

  /** Client: opens a ticket and sends a request on it. */
  startRequest(head: RequestHead, body: BodySource): ClientTicket {
    if (this.#state !== 'open') throw new SessionClosedError('session is not open');
    return this.#tickets.startRequest(head, body);
  }

  /** True once the session is open and both sides speak the WebSocket extension. */
  get webSocketAvailable(): boolean {
    return this.#state === 'open' && this.#handshake.webSocketAgreed;
  }

  /**
   * Client: opens a WebSocket to `path` on the server, carried on a ticket (PROTOCOL.md
   * §12). The answer has the browser WebSocket's shape. Throws if the peer did not announce
   * the extension.
   */
  openWebSocket(path: string, options: PeerWebSocketOptions = {}): PeerWebSocket {
    if (this.#state !== 'open') throw new SessionClosedError('session is not open');
    if (!this.#handshake.webSocketAgreed)
      throw new WebSocketUnsupportedError('the peer does not speak the WebSocket extension');
    return new PeerWebSocket(
      (head, body) => this.#tickets.startRequest(head, body, FrameType.WebSocket),
      path,
      options,
    );
  }

  /** Server: receives every request that opens a ticket. */
  onRequest(listener: RequestListener): void {
    this.#tickets.onRequest(listener);
  }

  readonly #onOpen = () => this.#start();
  readonly #onMessage = (event: { data: unknown }) => receiveMessage(event.data, this.#dispatch);
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
    this.#handshake.start();
  }

  #open(): void {
    if (this.#state !== 'handshake') return;
    this.#handshake.done();
    this.#state = 'open';
    // Batches and pings only now: before it, a side sends the handshake alone (§5.1).
    if (this.#o.batch && this.#handshake.peerHello?.batch)
      this.#scheduler.enableBatching(this.#handshake.maxFrameSize);
    this.#liveness.start();
    this.#ready.resolve();
  }

  #ticketContext(): TicketContext {
    return {
      role: this.role,
      window: this.#o.window,
      peerWindow: this.#handshake.peerHello?.window ?? 0,
      maxFrameSize: this.#handshake.maxFrameSize,
      headCoalesceMs: this.#o.headCoalesceMs,
      sendControl: (frame) => this.#scheduler.sendNow(frame),
      schedule: (message) => this.#scheduler.schedule(message),
      release: (id) => this.#tickets.release(id),
    };
  }

  /**
   * Ends the session; in the handshake, only once a running authenticator has read the AUTH
   * messages that arrived (see Handshake.endAfterAuth).
   */
  #terminateAfterAuth(error: Error): void {
    if (this.#state !== 'handshake') this.#terminate(error);
    else this.#handshake.endAfterAuth(error, () => this.#terminate(error));
  }

  /** The peer is about to wait for us to close the channel: from now on we send nothing. */
  #peerHasSaidGoodbye(): void {
    this.#peerSaidGoodbye = true;
    this.#scheduler.close();
  }

  /** A protocol violation: tell the peer why, then close. */
  #fail(error: ProtocolError): void {
    if (this.#state === 'closed') return;
    // Debug: the session's owner tells how it ended, once (the edge's session manager).
    this.#log.debug({ code: error.code, err: error.message }, 'peerfetch session failed');
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
    this.#liveness.stop();
    this.#scheduler.close();
    this.#handshake.close(failure);
    this.#tickets.failAll(failure);
    this.#channel.removeEventListener('message', this.#onMessage);
    this.#channel.removeEventListener('close', this.#onChannelClose);
    this.#channel.removeEventListener('error', this.#onChannelError);
    this.#channel.removeEventListener('open', this.#onOpen);
    if (saysGoodbye) awaitPeerClose(this.#channel, this.#o);
    else if (!this.#channelClosed) closeChannel(this.#channel);
    this.#ready.reject(failure);
    this.#closed.resolve(error);
  }
}
