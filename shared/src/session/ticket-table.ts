/**
 * The exchanges of one session (PROTOCOL.md §6): opens tickets, takes the peer's REQUESTs in
 * order, routes each ticket frame to its ticket, and fails them all when the session ends.
 */
import { FRAME_HEADER_SIZE, HEAD_LENGTH_SIZE, MAX_HEAD_SIZE } from '../constants.js';
import { ProtocolError, SessionClosedError } from '../errors.js';
import { decodeReason } from '../wire/control.js';
import { type Frame, MAX_TICKET_ID, readUint32, splitMessagePayload } from '../wire/frame.js';
import { FrameFlag, FrameType } from '../wire/frame-types.js';
import {
  decodeRequestHead,
  decodeResponseHead,
  encodeRequestHead,
  type RequestHead,
  type ResponseHead,
} from '../wire/heads.js';
import type { BodySource } from './body-source.js';
import { unexpected } from './dispatch.js';
import { Ticket, type TicketContext } from './ticket.js';

export type ClientTicket = Ticket<ResponseHead>;
export type ServerTicket = Ticket<RequestHead>;

export class TicketTable {
  readonly #role: 'client' | 'server';
  /** Made for each new ticket: the peer's window and the frame size are known only after HELLO. */
  readonly #context: () => TicketContext;
  readonly #tickets = new Map<number, ServerTicket | ClientTicket>();
  #nextTicketId = 1;
  #highestPeerTicket = 0;
  #onRequest: ((ticket: ServerTicket, head: RequestHead) => void) | undefined;

  constructor(role: 'client' | 'server', context: () => TicketContext) {
    this.#role = role;
    this.#context = context;
  }

  /** Server: receives every request that opens a ticket. */
  onRequest(listener: (ticket: ServerTicket, head: RequestHead) => void): void {
    this.#onRequest = listener;
  }

  /** Client: opens a ticket and sends a request on it. */
  startRequest(head: RequestHead, body: BodySource): ClientTicket {
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
    ticket.send(FrameType.Request, encoded, body);
    return ticket;
  }

  /** The ticket has finished in both directions and can be forgotten. */
  release(id: number): void {
    this.#tickets.delete(id);
  }

  /** Takes a frame of an open session that belongs to a ticket. */
  receive(frame: Frame): void {
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
        if (this.#role !== 'client') throw unexpected('RESPONSE sent to a server');
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

  /** The session ended: every unfinished exchange fails with `error`. */
  failAll(error: Error): void {
    for (const ticket of [...this.#tickets.values()]) ticket.fail(error);
    this.#tickets.clear();
  }

  #receiveRequest(frame: Frame, end: boolean): void {
    if (this.#role !== 'server') throw unexpected('REQUEST sent to a client');
    if (frame.ticket <= this.#highestPeerTicket) {
      throw new ProtocolError(
        'bad-ticket',
        `ticket ${frame.ticket} reused or out of order (last was ${this.#highestPeerTicket})`,
      );
    }
    this.#highestPeerTicket = frame.ticket;
    const { head: headBytes, body } = splitMessagePayload(frame.payload);
    const head = decodeRequestHead(headBytes);
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
    this.#onRequest(ticket, head);
  }

  #isPastTicket(id: number): boolean {
    return this.#role === 'client' ? id < this.#nextTicketId : id <= this.#highestPeerTicket;
  }
}
