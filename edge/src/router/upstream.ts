/**
 * Forwards one request to an upstream HTTP server and streams the answer back. Failures
 * become problem+json: refused 502, slow 504, too large 413.
 *
 * Uses node:http rather than fetch: fetch costs about twice the CPU per request and per MiB
 * (docs/PERFORMANCE.md#why-nodehttp-for-upstreams), and as a proxy the edge passes bodies
 * through as they are, compressed or not, where fetch would decode them.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { BufferedResponse, NULL_BODY_STATUSES, problemResponse } from '@peerfetch/shared';
import { answerStream, CutShortError } from './answer-stream.js';
import { BodyTooLargeError, isBodyTooLarge, limitedReadable } from './body-limit.js';
import {
  CLIENT_FRAMING_HEADERS,
  declaredLength,
  frameUpstream,
  framingErrorOf,
  RequestFramingError,
} from './framing.js';
import { endToEndHeaders, headersOf } from './headers.js';
import { rewriteHeaders } from './rewrite.js';
import type { RouteHandler } from './router.js';
import { readSmallAnswer } from './small-answer.js';

export interface UpstreamOptions {
  /** Base URL requests are forwarded to; the path below the route prefix is appended. */
  baseUrl: string;
  /**
   * How long the upstream may make no progress before its response head, in ms: taking none
   * of the request body, or not answering once the request is sent. A long upload that keeps
   * moving never times out.
   */
  timeoutMs: number;
  /** Largest request body forwarded, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Name used in problem details, such as the route prefix. */
  label: string;
  /**
   * The route prefix the client reaches this upstream at: Location and Set-Cookie paths are
   * mapped into it (rewrite.ts). Default: none, answers pass as sent.
   */
  prefix?: string;
}

/** Network error codes that mean "nobody is listening there" rather than a bug. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

function errorCode(error: unknown): string | undefined {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Joins the upstream base path and the request's remaining path and query. */
export function upstreamUrl(baseUrl: string, rest: string): URL {
  return new URL(upstreamPrefix(baseUrl) + rest);
}

/** The base URL's origin and path without a trailing slash: what every path is appended to. */
function upstreamPrefix(baseUrl: string): string {
  const base = new URL(baseUrl);
  return base.origin + base.pathname.replace(/\/+$/, '');
}

/**
 * Answers of known length up to this size are read whole and sent as they are: wrapping a
 * socket in a web stream costs more than the rest of a small answer
 * (docs/PERFORMANCE.md#why-buffered-small-answers). Larger or open-ended answers stream.
 */
export const BUFFERED_ANSWER_BYTES = 64 * 1024;

/** Kept-alive connections to each upstream, as fetch's pool had. */
const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

/** Request headers as node:http takes them (requests carry no Set-Cookie to keep apart). */
function headerObject(headers: Headers): Record<string, string> {
  return Object.fromEntries(headers);
}

/** Who stopped moving before the response head arrived. */
export type Stall = 'upstream-answer' | 'upstream-body' | 'client-body';

/**
 * Who stalled, from the state of the request to the upstream: pushing back means the upstream
 * stopped reading; a request handed over whole (even one still waiting for a connection)
 * waits on the upstream's answer; otherwise the client's body stopped arriving.
 */
export function stallOf(request: { writableNeedDrain: boolean; writableEnded: boolean }): Stall {
  if (request.writableNeedDrain) return 'upstream-body';
  return request.writableEnded ? 'upstream-answer' : 'client-body';
}

/** Thrown when nothing moved for the timeout before the response head. */
class StallError extends Error {
  constructor(readonly stall: Stall) {
    super(`request stalled (${stall})`);
  }
}

/**
 * Sends the request (streaming its body) and resolves with the upstream's response head.
 * Fails with a StallError when nothing moves for `timeoutMs`: neither a body chunk passing
 * to the upstream nor, once the request is sent, its answer. A long upload that keeps
 * moving never times out. A failing body destroys the request and its socket, so a
 * connection that carried part of a body never returns to the pool.
 */
function forward(
  url: URL,
  request: Request,
  headers: Headers,
  source: Readable | null,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const outgoing = (secure ? httpsRequest : httpRequest)(url, {
      method: request.method,
      headers: headerObject(headers),
      agent: secure ? agents.https : agents.http,
      signal,
    });
    let failure: unknown;
    const stalled = setTimeout(() => {
      failure = new StallError(stallOf(outgoing));
      outgoing.destroy(failure as Error);
    }, timeoutMs);
    const moved = () => stalled.refresh();
    outgoing.once('response', (response) => {
      clearTimeout(stalled);
      resolve(response);
    });
    outgoing.once('error', (error) => {
      clearTimeout(stalled);
      reject(failure ?? error);
    });
    outgoing.once('finish', moved);
    if (!source) {
      outgoing.end();
      return;
    }
    // A failing body (too large, or the client cancelled) ends the upstream request with
    // that reason; a failing upstream stops reading the client's body.
    source.once('error', (error) => {
      failure ??= error;
      outgoing.destroy(error);
    });
    outgoing.once('error', () => source.destroy());
    source.on('data', moved);
    source.pipe(outgoing);
  });
}

function stallProblem(stall: Stall, label: string, timeoutMs: number): Response {
  switch (stall) {
    case 'upstream-answer':
      return problemResponse(504, `upstream ${label} did not answer within ${timeoutMs} ms`);
    case 'upstream-body':
      return problemResponse(
        504,
        `upstream ${label} stopped taking the request body for ${timeoutMs} ms`,
      );
    case 'client-body':
      return problemResponse(408, `the request body stopped arriving for ${timeoutMs} ms`);
  }
}

function framingProblem(error: RequestFramingError): Response {
  const title = error.status === 417 ? { title: 'Expectation Failed' } : {};
  return problemResponse(error.status, error.message, title);
}

export function createUpstreamHandler(options: UpstreamOptions): RouteHandler {
  const prefix = upstreamPrefix(options.baseUrl);
  const mount =
    options.prefix === undefined ? undefined : { prefix: options.prefix, upstream: prefix };
  return async (request, rest) => {
    const hasBody = request.body !== null;
    let declared: number | undefined;
    try {
      declared = declaredLength(request.headers, hasBody);
    } catch (error) {
      if (!(error instanceof RequestFramingError)) throw error;
      return framingProblem(error);
    }
    if (declared !== undefined && declared > options.maxBodyBytes) {
      return problemResponse(413, `request body is larger than ${options.maxBodyBytes} bytes`);
    }
    const headers = frameUpstream(
      endToEndHeaders(request.headers, ['host', ...CLIENT_FRAMING_HEADERS]),
      hasBody,
      declared,
    );
    try {
      const body = request.body
        ? limitedReadable(request.body, options.maxBodyBytes, declared)
        : null;
      const url = new URL(prefix + rest);
      const upstream = await forward(
        url,
        request,
        headers,
        body,
        // A client that cancels, even mid-body, stops the upstream call.
        request.signal,
        options.timeoutMs,
      );
      const answerHeaders = endToEndHeaders(headersOf(upstream));
      const init = {
        status: upstream.statusCode ?? 502,
        statusText: upstream.statusMessage,
        headers: mount ? rewriteHeaders(answerHeaders, url, mount) : answerHeaders,
      };
      if (request.method === 'HEAD' || NULL_BODY_STATUSES.has(init.status)) {
        upstream.resume();
        return new Response(null, init);
      }
      const length = Number(upstream.headers['content-length'] ?? Number.NaN);
      if (length <= BUFFERED_ANSWER_BYTES) {
        const body = await readSmallAnswer(upstream);
        return body instanceof Uint8Array
          ? new BufferedResponse(body, init)
          : new Response(body, init);
      }
      return new Response(answerStream(upstream), init);
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      const framing = framingErrorOf(error);
      if (framing) return framingProblem(framing);
      if (isBodyTooLarge(error)) {
        return problemResponse(413, new BodyTooLargeError(options.maxBodyBytes).message);
      }
      if (error instanceof CutShortError) {
        return problemResponse(502, `upstream ${options.label} ${error.message}`);
      }
      if (error instanceof StallError) {
        return stallProblem(error.stall, options.label, options.timeoutMs);
      }
      const code = errorCode(error);
      // Control characters that the head codec lets through but node:http will not send.
      if (code === 'ERR_INVALID_CHAR') {
        return problemResponse(
          400,
          `a request header cannot be forwarded: ${(error as Error).message}`,
        );
      }
      if (code && UNREACHABLE.has(code)) {
        return problemResponse(502, `upstream ${options.label} is unreachable (${code})`);
      }
      return problemResponse(502, `upstream ${options.label} failed: ${(error as Error).message}`);
    }
  };
}
