/**
 * The server's side of a WEBSOCKET ticket (PROTOCOL.md §12). serveRequests hands the request
 * handler an ordinary GET `Request`; `webSocketUpgradeOf(request)` tells the handler it asks
 * for a WebSocket. The handler either accepts (the client gets 101 and the records start) or
 * answers with a Response, which the client takes as a refused open with that status.
 */
import type { PeerMessage, Ticket } from '../session/ticket.js';
import { WsPipe, type WsPipeEvents } from '../session/ws-pipe.js';
import { FrameType } from '../wire/frame-types.js';
import { encodeResponseHead, type HeaderList, type RequestHead } from '../wire/heads.js';
import { DEFAULT_WS_MESSAGE_BYTES } from '../wire/ws-records.js';

export interface AcceptOptions {
  /** The subprotocol chosen (one of `protocols`), if any. */
  protocol?: string;
  /** Further header fields of the 101 answer. */
  headers?: HeaderList;
  /** Largest message taken from the client; larger closes with 1009. Default 16 MiB. */
  maxMessageBytes?: number;
}

/** What an accepted WebSocket is to its server: a pipe of records both ways. */
export type ServerWebSocket = Pick<
  WsPipe,
  'send' | 'close' | 'pause' | 'resume' | 'abort' | 'full' | 'bufferedAmount' | 'closeSent'
>;

export interface WebSocketUpgrade {
  /** Subprotocols the client offered, in its order. */
  readonly protocols: readonly string[];
  readonly accepted: boolean;
  /** Aborted when the client cancels or the session ends. */
  readonly signal: AbortSignal;
  /** Opens the WebSocket: the client gets 101, and `events` hears its messages. */
  accept(options: AcceptOptions, events: WsPipeEvents): ServerWebSocket;
}

const upgrades = new WeakMap<Request, WebSocketUpgrade>();

/** The WebSocket a request asks for, if it came on a WEBSOCKET ticket. */
export function webSocketUpgradeOf(request: Request): WebSocketUpgrade | undefined {
  return upgrades.get(request);
}

/** Ties `request` to its WEBSOCKET ticket; serveRequests calls this. */
export function registerUpgrade(
  request: Request,
  ticket: Ticket<RequestHead>,
  peer: PeerMessage<RequestHead>,
): WebSocketUpgrade {
  let accepted = false;
  const offered = request.headers.get('sec-websocket-protocol') ?? '';
  const upgrade: WebSocketUpgrade = {
    protocols: offered
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
    get accepted() {
      return accepted;
    },
    signal: ticket.signal,
    accept(options, events) {
      if (accepted) throw new Error('the WebSocket was already accepted');
      accepted = true;
      const pipe = new WsPipe(options.maxMessageBytes ?? DEFAULT_WS_MESSAGE_BYTES, events);
      const headers: HeaderList = [...(options.headers ?? [])];
      if (options.protocol) headers.push(['sec-websocket-protocol', options.protocol]);
      const head = encodeResponseHead({ status: 101, statusText: 'Switching Protocols', headers });
      ticket.send(FrameType.Response, head, { kind: 'stream', stream: pipe.outgoing });
      void pipe.readFrom(peer.body);
      return pipe;
    },
  };
  upgrades.set(request, upgrade);
  return upgrade;
}
