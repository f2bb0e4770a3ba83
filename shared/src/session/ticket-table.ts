/**
 * The exchanges of one session (PROTOCOL.md §6): opens tickets, takes the peer's REQUESTs in
 * order, routes each ticket frame to its ticket, and fails them all when the session ends.
 */
import { FRAME_HEADER_SIZE, HEAD_LENGTH_SIZE, MAX_HEAD_SIZE } from '../constants.js';
import { ProtocolError, SessionClosedError } from '../errors.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../problem.js';
import { decodeReason } from '../wire/control.js';
import { type Frame, MAX_TICKET_ID, readUint32, splitMessagePayload } from '../wire/frame.js';
import { FrameFlag, FrameType } from '../wire/frame-types.js';
import {
  decodeRequestHead,
  decodeResponseHead,
  encodeRequestHead,
  type RequestHead,
  type ResponseHead,
  TooManyHeaderFieldsError,
} from '../wire/heads.js';
import type { BodySource } from './body-source.js';
import { unexpected } from './dispatch.js';
import { Ticket, type TicketContext } from './ticket.js';

export type ClientTicket = Ticket<ResponseHead>;
export type ServerTicket = Ticket<RequestHead>;

/**
 * Receives a request. `refused` is set when its head had too many header fields: `head`
 * then has none, and the request is to be answered 431 without being handled. `webSocket`
 * when it opened a WEBSOCKET ticket (PROTOCOL.md §12).
 */
export type RequestListener = (
  ticket: ServerTicket,
  head: RequestHead,
  refused: TooManyHeaderFieldsError<RequestHead> | undefined,
  webSocket: boolean,
) => void;

export class TicketTable {
  readonly #role: 'client' | 'server';
  /** Made for each new ticket: the peer's window and the frame size are known only after HELLO. */
  readonly #context: () => TicketContext;
  readonly #tickets = new Map<number, ServerTicket | ClientTicket>();
  #nextTicketId = 1;
  #highestPeerTicket = 0;
  #onRequest: RequestListener | undefined;
  /** Open WEBSOCKET tickets: their answer may be 101. */
  readonly #webSockets = new Set<number>();
  /** Whether both HELLOs announced the WebSocket extension. */
  readonly #webSocketAgreed: () => boolean;

  constructor(
    role: 'client' | 'server',
    context: () => TicketContext,
    webSocketAgreed: () => boolean,
  ) {
    this.#role = role;
    this.#context = context;
    this.#webSocketAgreed = webSocketAgreed;
  }

  /** Server: receives every request that opens a ticket. */
  onRequest(listener: RequestListener): void {
    this.#onRequest = listener;
  }

  /** Client: opens a ticket and sends a request on it. */
  startRequest(
    head: RequestHead,
    body: BodySource,
    type: typeof FrameType.Request | typeof FrameType.WebSocket = FrameType.Request,
  ): ClientTicket {
    if (this.#nextTicketId > MAX_TICKET_ID)
      throw new SessionClosedError('ticket ids exhausted; open a new session');
    const context = this.#context();
    const encoded = encodeRequestHead(head);
    const room = Math.min(
      MAX_HEAD_SIZE,
      context.maxFrameSize - FRAME_HEADER_SIZE - HEAD_LENGTH_SIZE,
    );
    if (encoded.byteLength > room) {
      throw new TypeError(
        `request head of ${encoded.byteLength} bytes exceeds the ${room}-byte limit`,
      );
    }
    const ticket = new Ticket<ResponseHead>(this.#nextTicketId++, context);
    this.#tickets.set(ticket.id, ticket);
    if (type === FrameType.WebSocket) this.#webSockets.add(ticket.id);
    ticket.send(type, encoded, body);
    return ticket;
  }

  /** The ticket has finished in both directions and can be forgotten. */
  release(id: number): void {
    this.#tickets.delete(id);
    this.#webSockets.delete(id);
  }

  /** Takes a frame of an open session that belongs to a ticket. */
  receive(frame: Frame): void {
    const end = (frame.flags & FrameFlag.End) !== 0;
    if (frame.type === FrameType.Request || frame.type === FrameType.WebSocket) {
      const webSocket = frame.type === FrameType.WebSocket;
      if (webSocket && !this.#webSocketAgreed())
        throw unexpected('WEBSOCKET without the extension in both HELLOs');
      this.#receiveRequest(frame, end, webSocket);
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
        if (this.#role !== 'client') throw unexpected('RESPONSE sent to a server');
        this.#receiveResponse(ticket as ClientTicket, frame.payload, end);
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

  /** The session ended: every unfinished exchange fails with `error`. */
  failAll(error: Error): void {
    for (const ticket of [...this.#tickets.values()]) ticket.fail(error);
    this.#tickets.clear();
    this.#webSockets.clear();
  }

  #receiveRequest(frame: Frame, end: boolean, webSocket: boolean): void {
    if (this.#role !== 'server') throw unexpected('REQUEST sent to a client');
    if (frame.ticket <= this.#highestPeerTicket) {
      throw new ProtocolError(
        'bad-ticket',
        `ticket ${frame.ticket} reused or out of order (last was ${this.#highestPeerTicket})`,
      );
    }
    this.#highestPeerTicket = frame.ticket;
    const { head: headBytes, body } = splitMessagePayload(frame.payload);
    let head: RequestHead;
    let refused: TooManyHeaderFieldsError<RequestHead> | undefined;
    try {
      head = decodeRequestHead(headBytes);
    } catch (error) {
      if (!(error instanceof TooManyHeaderFieldsError)) throw error;
      refused = error as TooManyHeaderFieldsError<RequestHead>;
      head = refused.head;
    }
    const ticket = new Ticket<RequestHead>(frame.ticket, this.#context());
    this.#tickets.set(ticket.id, ticket);
    ticket.receiveHead(head, headBytes.byteLength, body, end);
    if (!this.#onRequest) {
      ticket.cancel(new SessionClosedError('no request handler'), {
        code: 'no-handler',
        message: 'this peer serves no requests',
      });
      return;
    }
    this.#onRequest(ticket, head, refused, webSocket);
  }

  /** A response head with too many header fields is answered 502 on its ticket alone. */
  #receiveResponse(ticket: ClientTicket, payload: Uint8Array, end: boolean): void {
    const { head, body } = splitMessagePayload(payload);
    try {
      const switching = this.#webSockets.has(ticket.id);
      ticket.receiveHead(decodeResponseHead(head, switching), head.byteLength, body, end);
    } catch (error) {
      if (!(error instanceof TooManyHeaderFieldsError)) throw error;
      const detail = `the response had ${error.message}`;
      const problem = new TextEncoder().encode(JSON.stringify(problemBody(502, detail)));
      const standIn: ResponseHead = {
        status: 502,
        statusText: '',
        headers: [
          ['content-type', PROBLEM_CONTENT_TYPE],
          ['content-length', String(problem.byteLength)],
        ],
      };
      ticket.refuseHead(standIn, problem, { code: 'cancelled', message: detail });
    }
  }

  #isPastTicket(id: number): boolean {
    return this.#role === 'client' ? id < this.#nextTicketId : id <= this.#highestPeerTicket;
  }
}
