import { BufferedResponse } from '../buffered-response.js';
import {
  DEFAULT_REQUESTS_PER_SESSION,
  FRAME_HEADER_SIZE,
  HEAD_LENGTH_SIZE,
  MAX_HEADER_COUNT,
  REQUEST_BASE_URL,
} from '../constants.js';
import { toError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { problemResponse } from '../problem.js';
import { type BodySource, NO_BODY } from '../session/body-source.js';
import type { PeerFetchSession, ServerTicket } from '../session/session.js';
import type { PeerMessage } from '../session/ticket.js';
import { FrameType } from '../wire/frame-types.js';
import { encodeResponseHead, headerListOf, type RequestHead } from '../wire/heads.js';
import { registerUpgrade } from './websocket-upgrade.js';

/** WebSockets open at once per session unless configured otherwise. */
export const DEFAULT_WEBSOCKETS_PER_SESSION = 16;

/** Answers one request. Throwing is answered 500; the request's signal aborts on cancel. */
export type RequestHandler = (request: Request) => Promise<Response>;

export interface ServeOptions {
  /**
   * Requests in flight per session; more are answered 429. Default
   * {@link DEFAULT_REQUESTS_PER_SESSION}.
   */
  maxConcurrentRequests?: number;
  /**
   * WebSockets open at once per session (PROTOCOL.md §12); more are refused 429. They do
   * not count against `maxConcurrentRequests`: they live long. Default
   * {@link DEFAULT_WEBSOCKETS_PER_SESSION}.
   */
  maxConcurrentWebSockets?: number;
  /** Largest encoded request head in bytes; larger are answered 431. Default 16384. */
  maxHeadSize?: number;
  logger?: Logger;
}

/**
 * Serves every request that arrives on a server session with `handler`: the request body
 * streams in, the response body streams out, and every request gets an answer.
 */
export function serveRequests(
  session: PeerFetchSession,
  handler: RequestHandler,
  options: ServeOptions = {},
): void {
  const maxConcurrent = options.maxConcurrentRequests ?? DEFAULT_REQUESTS_PER_SESSION;
  const maxHeadSize = options.maxHeadSize ?? 16 * 1024;
  const log = options.logger ?? silentLogger;
  const maxWebSockets = options.maxConcurrentWebSockets ?? DEFAULT_WEBSOCKETS_PER_SESSION;
  let inFlight = 0;
  let webSockets = 0;

  session.onRequest((ticket, head, refused, webSocket) => {
    void answer(ticket, head, refused, webSocket);
  });

  async function answer(
    ticket: ServerTicket,
    head: RequestHead,
    refused: Error | undefined,
    webSocket: boolean,
  ): Promise<void> {
    const peer = await ticket.peerMessage;
    if (refused) return respond(ticket, head, problemResponse(431, refused.message));
    if (peer.headSize > maxHeadSize) {
      return respond(
        ticket,
        head,
        problemResponse(431, `request head of ${peer.headSize} bytes exceeds ${maxHeadSize}`),
      );
    }
    if (webSocket) return answerWebSocket(ticket, head, peer);
    if (inFlight >= maxConcurrent) {
      return respond(
        ticket,
        head,
        problemResponse(
          429,
          `more than ${maxConcurrent} requests in flight on this session`,
          {},
          { 'retry-after': '1' },
        ),
      );
    }
    inFlight++;
    ticket.done.then(() => inFlight--);
    const request = requestOf(head, ticket, peer.empty ? null : peer.body);
    if (request instanceof Response) return respond(ticket, head, request);
    // Node's Request follows our signal through a weak reference: keep the request reachable
    // for as long as the exchange lives, or a handler waiting only on its signal never hears.
    const keepAlive = request;
    ticket.done.then(() => keepAlive);
    const response = await handle(request, ticket, head);
    if (!ticket.signal.aborted) respond(ticket, head, response);
  }

  /** The handler's answer; a handler that throws is answered 500. */
  async function handle(request: Request, ticket: ServerTicket, head: RequestHead) {
    try {
      return await handler(request);
    } catch (error) {
      if (!ticket.signal.aborted)
        log.error({ err: toError(error).message, path: head.path }, 'request handler failed');
      return problemResponse(500, 'the request handler failed');
    }
  }

  /** A WEBSOCKET ticket: the handler accepts it (webSocketUpgradeOf) or answers a refusal. */
  async function answerWebSocket(
    ticket: ServerTicket,
    head: RequestHead,
    peer: PeerMessage<RequestHead>,
  ): Promise<void> {
    if (webSockets >= maxWebSockets) {
      const detail = `more than ${maxWebSockets} WebSockets open on this session`;
      return respond(ticket, head, problemResponse(429, detail, {}, { 'retry-after': '1' }));
    }
    webSockets++;
    ticket.done.then(() => webSockets--);
    // Its body is the WebSocket's records, for the upgrade, not for the Request.
    const request = requestOf(head, ticket, null);
    if (request instanceof Response) return respond(ticket, head, request);
    const upgrade = registerUpgrade(request, ticket, peer);
    const response = await handle(request, ticket, head);
    if (upgrade.accepted) discardBody(response);
    else respond(ticket, head, response);
  }

  function respond(ticket: ServerTicket, request: RequestHead, response: Response): void {
    if (ticket.signal.aborted) {
      discardBody(response);
      return;
    }
    const headers = headerListOf(response.headers);
    let encoded = encodeResponseHead({
      status: response.status,
      statusText: response.statusText,
      headers,
    });
    // What the peer could not take is answered here, on this exchange alone.
    const unsendable =
      headers.length > MAX_HEADER_COUNT
        ? `response of ${headers.length} header fields, more than the ${MAX_HEADER_COUNT} allowed`
        : encoded.byteLength > session.maxFrameSize - FRAME_HEADER_SIZE - HEAD_LENGTH_SIZE
          ? `response head of ${encoded.byteLength} bytes is too large to send`
          : undefined;
    if (unsendable) {
      discardBody(response);
      response = problemResponse(502, unsendable);
      encoded = encodeResponseHead({
        status: 502,
        statusText: '',
        headers: headerListOf(response.headers),
      });
    }
    ticket.send(FrameType.Response, encoded, responseBody(request, response));
  }
}

/** The exchange as a fetch Request, or the 400 answer when it cannot be one. */
function requestOf(
  head: RequestHead,
  ticket: ServerTicket,
  body: ReadableStream<Uint8Array> | null,
): Request | Response {
  try {
    return new Request(REQUEST_BASE_URL + head.path, {
      method: head.method,
      headers: head.headers,
      body,
      signal: ticket.signal,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    return problemResponse(400, `request cannot be represented: ${toError(error).message}`);
  }
}

/** True for a BufferedResponse whose bytes are still the whole, unread body. */
function isBuffered(response: Response): response is BufferedResponse {
  return response instanceof BufferedResponse && response.untouched;
}

/** Lets go of a body that will not be sent (a buffered one has no stream to cancel). */
function discardBody(response: Response): void {
  if (!isBuffered(response)) response.body?.cancel().catch(() => {});
}

function responseBody(request: RequestHead, response: Response): BodySource {
  if (isBuffered(response)) {
    const empty = request.method === 'HEAD' || response.content.byteLength === 0;
    return empty ? NO_BODY : { kind: 'bytes', bytes: response.content };
  }
  if (!response.body) return NO_BODY;
  if (request.method === 'HEAD') {
    discardBody(response);
    return NO_BODY;
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(length)
    ? { kind: 'stream', stream: response.body, length }
    : { kind: 'stream', stream: response.body };
}
