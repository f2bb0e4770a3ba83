import { BufferedResponse } from '../buffered-response.js';
import { NULL_BODY_STATUSES, REQUEST_BASE_URL } from '../constants.js';
import { RequestTimeoutError } from '../errors.js';
import type { PeerFetchSession, Session } from '../session/session.js';
import { contentEncodingOf, decodableCodings, decodedBody } from './decode-body.js';
import { requestBodySource } from './request-body.js';
import { requestHeaderList } from './request-headers.js';

/** What `fetch` accepts as its first argument (the standard `RequestInfo | URL`). */
export type PeerFetchInput = string | URL | Request;

export interface PeerFetchOptions {
  /** Milliseconds to wait for the response head before failing with PeerFetchTimeoutError. Default: no limit. */
  timeoutMs?: number;
  /**
   * Decode compressed response bodies (gzip, deflate, and br where the platform can) as a
   * browser's fetch() does, and offer those codings in `accept-encoding` when the caller
   * sets none. Off, bodies arrive exactly as the server sent them. Default true.
   */
  decompress?: boolean;
}

/** `fetch()` over a PeerFetch session. */
export interface PeerFetch {
  fetch(input: PeerFetchInput, init?: RequestInit): Promise<Response>;
  readonly session: Session;
}

/**
 * Makes a client for a session. `fetch` takes the standard arguments; only the path and
 * query of the URL travel (the edge decides where they go). HTTP statuses resolve as
 * Responses whose bodies stream; transport failures reject with the named errors.
 */
export function createPeerFetch(
  session: PeerFetchSession,
  options: PeerFetchOptions = {},
): PeerFetch {
  const decompress = options.decompress ?? true;
  const acceptEncoding = decompress ? decodableCodings() : undefined;
  async function peerFetch(input: PeerFetchInput, init?: RequestInit): Promise<Response> {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    signal?.throwIfAborted();
    // Streamed request bodies need duplex 'half' (Node and Chromium); harmless elsewhere.
    const request = new Request(toPeerUrl(input), { ...init, duplex: 'half' } as RequestInit);
    const body = await requestBodySource(request, input, init);
    if (!session.isClosed) await raceAbort(session.ready, signal);
    const url = new URL(request.url);
    const ticket = session.startRequest(
      {
        method: request.method,
        path: url.pathname + url.search,
        headers: requestHeaderList(request.headers, body, acceptEncoding),
      },
      body,
    );
    const onAbort = () => ticket.cancel(abortReason(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    // An abort between the ready check and here fired no listener of ours.
    if (signal?.aborted) onAbort();
    ticket.done.then(() => signal?.removeEventListener('abort', onAbort));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              ticket.cancel(new RequestTimeoutError(`no response within ${options.timeoutMs} ms`)),
            options.timeoutMs,
          );
    try {
      const peer = await ticket.peerMessage;
      const { head } = peer;
      const init = { status: head.status, statusText: head.statusText, headers: head.headers };
      if (request.method === 'HEAD' || NULL_BODY_STATUSES.has(head.status)) {
        if (!peer.whole) peer.body.cancel().catch(() => {});
        return new Response(null, init);
      }
      const decoded = decompress ? decodedBody(peer, contentEncodingOf(head.headers)) : undefined;
      if (decoded) return new Response(decoded, init);
      // A body that came whole with the head needs no stream (see BufferedResponse).
      return peer.whole ? new BufferedResponse(peer.whole, init) : new Response(peer.body, init);
    } finally {
      clearTimeout(timer);
    }
  }
  return { fetch: peerFetch, session };
}

/** Resolves a fetch input to a URL whose path and query are what the client asked for. */
function toPeerUrl(input: PeerFetchInput): string | Request {
  if (input instanceof Request) return input;
  const text = input instanceof URL ? input.href : input;
  return new URL(text, REQUEST_BASE_URL).href;
}

function abortReason(signal: AbortSignal | undefined | null): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('The operation was aborted.', 'AbortError');
}

function raceAbort(promise: Promise<void>, signal: AbortSignal | null | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
