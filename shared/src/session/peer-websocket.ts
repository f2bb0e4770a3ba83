/**
 * A WebSocket that rides a PeerFetch session (PROTOCOL.md §12), shaped like the browser's
 * `WebSocket` so that a page can be handed one in its place. Beyond that shape: `ping()` and
 * a `pong` event, `pause()` / `resume()` for a reader that wants to stall the sender, and
 * `refusedStatus` when the server refused the open.
 */

import { StreamResetError, toError } from '../errors.js';
import type { HeaderList, RequestHead } from '../wire/heads.js';
import {
  DEFAULT_WS_MESSAGE_BYTES,
  MAX_WS_CONTROL_BYTES,
  WsOpcode,
  type WsRecord,
} from '../wire/ws-records.js';
import type { BodySource } from './body-source.js';
import type { ClientTicket } from './ticket-table.js';
import { WsPipe } from './ws-pipe.js';

export interface PeerWebSocketOptions {
  /** Subprotocols offered, in order of preference (`Sec-WebSocket-Protocol`). */
  protocols?: string | string[];
  /** Header fields for the upgrade request (cookies, say). */
  headers?: HeaderList;
  /** Largest message accepted from the server; larger closes with 1009. Default 16 MiB. */
  maxMessageBytes?: number;
}

/** The session's peer does not speak the WebSocket extension. */
export class WebSocketUnsupportedError extends Error {
  override readonly name = 'PeerFetchWebSocketUnsupportedError';
}

/** The close event, which Node before 23 does not define. */
export class PeerCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code: number; reason: string; wasClean: boolean }) {
    super(type);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

type StartTicket = (head: RequestHead, body: BodySource) => ClientTicket;
type Handler = ((event: Event) => void) | null;
type SendData = string | ArrayBuffer | ArrayBufferView | Blob;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export class PeerWebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  /** The path on the server, as given. */
  readonly url: string;
  binaryType: 'blob' | 'arraybuffer' = 'blob';
  onopen: Handler = null;
  onmessage: Handler = null;
  onerror: Handler = null;
  onclose: Handler = null;
  /** Non-standard: answers to `ping()`. */
  onpong: Handler = null;
  #readyState = CONNECTING;
  #protocol = '';
  #extensions = '';
  #refusedStatus: number | undefined;
  readonly #pipe: WsPipe;
  readonly #ticket: ClientTicket;
  /** Sends wait behind a Blob being read, to keep their order. */
  #sendChain: Promise<void> | undefined;

  constructor(start: StartTicket, path: string, options: PeerWebSocketOptions = {}) {
    super();
    this.url = path;
    const protocols =
      typeof options.protocols === 'string' ? [options.protocols] : (options.protocols ?? []);
    const headers: HeaderList = [...(options.headers ?? [])];
    if (protocols.length > 0) headers.push(['sec-websocket-protocol', protocols.join(', ')]);
    this.#pipe = new WsPipe(options.maxMessageBytes ?? DEFAULT_WS_MESSAGE_BYTES, {
      onMessage: (record) => this.#onMessage(record),
      onPeerClose: (code, reason) => this.#onPeerClose(code, reason),
      onBroken: (code, reason) => this.#fail(code, reason),
    });
    this.#ticket = start(
      { method: 'GET', path, headers },
      { kind: 'stream', stream: this.#pipe.outgoing },
    );
    this.#ticket.peerMessage.then(
      (answer) => {
        if (this.#readyState !== CONNECTING) return;
        if (answer.head.status !== 101) {
          this.#refusedStatus = answer.head.status;
          answer.body.cancel().catch(() => {});
          this.#fail(1006, `the server refused the WebSocket with status ${answer.head.status}`);
          return;
        }
        const field = (name: string) => answer.head.headers.find(([n]) => n === name)?.[1] ?? '';
        this.#protocol = field('sec-websocket-protocol');
        this.#extensions = field('sec-websocket-extensions');
        this.#readyState = OPEN;
        this.#fire(new Event('open'));
        void this.#pipe.readFrom(answer.body);
      },
      (error: unknown) => this.#fail(1006, toError(error).message),
    );
  }

  get readyState(): number {
    return this.#readyState;
  }
  get protocol(): string {
    return this.#protocol;
  }
  get extensions(): string {
    return this.#extensions;
  }
  get bufferedAmount(): number {
    return this.#pipe.bufferedAmount;
  }
  /** Non-standard: the server's status when it refused the open (403, say). */
  get refusedStatus(): number | undefined {
    return this.#refusedStatus;
  }

  send(data: SendData): void {
    if (this.#readyState === CONNECTING)
      throw new DOMException('the WebSocket is not open yet', 'InvalidStateError');
    if (this.#readyState !== OPEN) return; // As browsers: data after close is dropped.
    if (data instanceof Blob || this.#sendChain) {
      const previous = this.#sendChain ?? Promise.resolve();
      const chain = previous.then(async () => {
        if (data instanceof Blob)
          this.#sendNow(WsOpcode.Binary, new Uint8Array(await data.arrayBuffer()));
        else this.#sendNow(opcodeOf(data), bytesOf(data));
        if (this.#sendChain === chain) this.#sendChain = undefined;
      });
      this.#sendChain = chain;
      return;
    }
    this.#sendNow(opcodeOf(data), bytesOf(data));
  }

  /** Non-standard: sends a ping; the answer comes as a `pong` event. */
  ping(data: Uint8Array = new Uint8Array(0)): void {
    if (this.#readyState !== OPEN)
      throw new DOMException('the WebSocket is not open', 'InvalidStateError');
    if (data.byteLength > MAX_WS_CONTROL_BYTES) throw new RangeError('ping data is over 125 bytes');
    this.#pipe.send(WsOpcode.Ping, data);
  }

  /** Non-standard: stops taking messages; the server stalls once the window is spent. */
  pause(): void {
    this.#pipe.pause();
  }

  resume(): void {
    this.#pipe.resume();
  }

  close(code?: number, reason = ''): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999))
      throw new DOMException(`close code ${code} is not 1000 or 3000-4999`, 'InvalidAccessError');
    if (new TextEncoder().encode(reason).byteLength > 123)
      throw new DOMException('close reason is over 123 bytes', 'SyntaxError');
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    if (this.#readyState === CONNECTING) {
      this.#fail(1006, 'closed before the WebSocket opened');
      return;
    }
    this.#readyState = CLOSING;
    this.#pipe.close(code, reason);
  }

  #sendNow(opcode: WsOpcode, bytes: Uint8Array): void {
    if (this.#readyState === OPEN) this.#pipe.send(opcode, bytes);
  }

  #onMessage(record: WsRecord): void {
    if (this.#readyState === CLOSED) return;
    switch (record.opcode) {
      case WsOpcode.Text:
        this.#fire(new MessageEvent('message', { data: new TextDecoder().decode(record.payload) }));
        break;
      case WsOpcode.Binary: {
        // The parser gives each message a buffer of its own, exactly its size.
        const buffer = record.payload.buffer as ArrayBuffer;
        const data = this.binaryType === 'arraybuffer' ? buffer : new Blob([buffer]);
        this.#fire(new MessageEvent('message', { data }));
        break;
      }
      case WsOpcode.Ping:
        this.#pipe.send(WsOpcode.Pong, record.payload);
        break;
      case WsOpcode.Pong:
        this.#fire(new MessageEvent('pong', { data: record.payload.buffer }));
        break;
    }
  }

  #onPeerClose(code: number, reason: string): void {
    if (this.#readyState === CLOSED) return;
    // Answer the server's close with the same code, as RFC 6455 §5.5.1 asks.
    this.#pipe.close(code === 1005 ? undefined : code, reason);
    this.#readyState = CLOSED;
    this.#fire(new PeerCloseEvent('close', { code, reason, wasClean: true }));
  }

  #fail(code: number, reason: string): void {
    if (this.#readyState === CLOSED) return;
    this.#readyState = CLOSED;
    const error = new StreamResetError(reason);
    this.#pipe.abort(error);
    this.#ticket.cancel(error);
    this.#fire(new Event('error'));
    this.#fire(new PeerCloseEvent('close', { code, reason, wasClean: false }));
  }

  #fire(event: Event): void {
    const handler = (this as unknown as Record<string, Handler>)[`on${event.type}`];
    try {
      handler?.call(this, event);
    } finally {
      this.dispatchEvent(event);
    }
  }
}

function opcodeOf(data: SendData): WsOpcode {
  return typeof data === 'string' ? WsOpcode.Text : WsOpcode.Binary;
}

function bytesOf(data: Exclude<SendData, Blob>): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
