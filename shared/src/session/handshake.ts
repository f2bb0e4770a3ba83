/**
 * The start of a session (PROTOCOL.md §4, §5): each side's HELLO, the version both speak, the
 * frame size both accept, the authenticator, and the deadline for all of it.
 */
import { FRAME_HEADER_SIZE, PROTOCOL_VERSIONS } from '../constants.js';
import { ProtocolError, toError, UnsupportedVersionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { encodeHello, type Hello } from '../wire/control.js';
import { encodeFrame } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import { WEBSOCKET_EXTENSION_VERSION } from '../wire/ws-records.js';
import type { Authenticator } from './auth.js';
import { AuthInbox } from './auth-inbox.js';
import { unexpected } from './dispatch.js';
import { errorFrame } from './farewell.js';
import type { ResolvedSessionOptions } from './options.js';

/** What the handshake needs from its session. */
export interface HandshakeHost {
  sendNow(frame: Uint8Array<ArrayBuffer>): void;
  /** The handshake failed or timed out: tell the peer why, then close. */
  fail(error: ProtocolError): void;
  /** Ends the session with `error`, saying `farewell` to the peer. */
  terminate(error: Error, farewell: Uint8Array<ArrayBuffer>): void;
  /** Both HELLOs are in and the authenticator, if any, has succeeded. */
  open(): void;
}

export class Handshake {
  /** The AUTH messages of this handshake, both ways. */
  readonly auth: AuthInbox;
  readonly #o: ResolvedSessionOptions;
  readonly #log: Logger;
  readonly #host: HandshakeHost;
  #peerHello: Hello | undefined;
  #maxFrameSize: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #authRun: Promise<void> | undefined;

  constructor(options: ResolvedSessionOptions, log: Logger, host: HandshakeHost) {
    this.#o = options;
    this.#log = log;
    this.#host = host;
    this.#maxFrameSize = Math.min(options.maxFrameSize, options.maxMessageSize);
    this.auth = new AuthInbox(options.role, (message) =>
      host.sendNow(encodeFrame(FrameType.Auth, 0, 0, message)),
    );
  }

  /** The peer's HELLO, once it has arrived. */
  get peerHello(): Hello | undefined {
    return this.#peerHello;
  }

  /** Frame size in use: ours, capped by the channel and, once it has spoken, by the peer. */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  /** Whether both sides announced the WebSocket extension (the version we speak). */
  get webSocketAgreed(): boolean {
    // A peer speaks every version of the extension up to the one it announces.
    return this.#o.webSocket && (this.#peerHello?.websocket ?? 0) >= WEBSOCKET_EXTENSION_VERSION;
  }

  /** Sends our HELLO and starts the deadline. */
  start(): void {
    const hello: Hello = {
      versions: [...PROTOCOL_VERSIONS],
      maxFrameSize: this.#o.maxFrameSize,
      window: this.#o.window,
    };
    if (this.#o.agent) hello.agent = this.#o.agent;
    if (this.#o.batch) hello.batch = true;
    if (this.#o.webSocket) hello.websocket = WEBSOCKET_EXTENSION_VERSION;
    this.#host.sendNow(encodeFrame(FrameType.Hello, 0, 0, encodeHello(hello)));
    this.#timer = setTimeout(
      () =>
        this.#host.fail(
          new ProtocolError(
            'handshake-failed',
            `handshake did not finish within ${this.#o.handshakeTimeoutMs} ms`,
          ),
        ),
      this.#o.handshakeTimeoutMs,
    );
  }

  receiveHello(hello: Hello): void {
    if (this.#peerHello) throw unexpected('second HELLO');
    this.#peerHello = hello;
    const common = PROTOCOL_VERSIONS.filter((v) => hello.versions.includes(v));
    if (common.length === 0) {
      const message = `peer speaks versions [${hello.versions.join(', ')}], we speak [${PROTOCOL_VERSIONS.join(', ')}]`;
      this.#host.terminate(
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
    else this.#host.open();
  }

  /** An AUTH frame arrived; `during` is whether the session is still in its handshake. */
  receiveAuth(payload: Uint8Array, during: boolean): void {
    if (!during || !this.#peerHello) throw unexpected('AUTH outside the handshake');
    this.auth.deliver(payload);
  }

  /**
   * Ends the session with `end`, but first lets a running authenticator read the AUTH
   * messages that arrived before the end: a refusal there says why, and its error becomes
   * the reason.
   */
  endAfterAuth(error: Error, end: () => void): void {
    if (!this.#authRun) {
      end();
      return;
    }
    this.auth.close(error);
    void this.#authRun.finally(end);
  }

  /** The session has opened: the deadline is met. */
  done(): void {
    clearTimeout(this.#timer);
  }

  /** The session has closed: no deadline, and the authenticator reads `error`. */
  close(error: Error): void {
    clearTimeout(this.#timer);
    this.auth.close(error);
  }

  async #authenticateThenOpen(authenticate: Authenticator): Promise<void> {
    try {
      await authenticate(this.auth);
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
      // If the peer already left, the session says nothing more to it.
      this.#host.fail(failure);
      return;
    }
    this.#host.open();
  }
}
