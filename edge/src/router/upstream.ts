/**
 * Forwards one request to an upstream HTTP server and streams the answer back. Failures
 * become problem+json: refused 502, slow 504, too large 413.
 *
 * Uses node:http rather than fetch: fetch costs about twice the CPU per request and per MiB
 * (docs/PERFORMANCE.md), and as a proxy the edge passes bodies through as they are,
 * compressed or not, where fetch would decode them.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { problemResponse } from '@peerfetch/shared';
import { BodyTooLargeError, isBodyTooLarge, limitBody } from './body-limit.js';
import { endToEndHeaders } from './headers.js';
import type { RouteHandler } from './router.js';

export interface UpstreamOptions {
  /** Base URL requests are forwarded to; the path below the route prefix is appended. */
  baseUrl: string;
  /** How long the upstream may take to send its response head, in ms. */
  timeoutMs: number;
  /** Largest request body forwarded, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Name used in problem details, such as the route prefix. */
  label: string;
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
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  return new URL(`${base.origin}${basePath}${rest}`);
}

/** Statuses whose responses never have a body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Kept-alive connections to each upstream, as fetch's pool had. */
const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

function headerObject(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) out[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

function responseHeaders(upstream: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = upstream.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return endToEndHeaders(headers);
}

/** Sends the request (streaming its body) and resolves with the upstream's response head. */
function forward(
  url: URL,
  request: Request,
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const outgoing = (secure ? httpsRequest : httpRequest)(url, {
      method: request.method,
      headers: headerObject(endToEndHeaders(request.headers, ['host'])),
      agent: secure ? agents.https : agents.http,
      signal,
    });
    let bodyFailure: unknown;
    outgoing.once('response', resolve);
    outgoing.once('error', (error) => reject(bodyFailure ?? error));
    if (!body) {
      outgoing.end();
      return;
    }
    const source = Readable.fromWeb(body as never);
    // A failing body (too large, or the client cancelled) ends the upstream request with
    // that reason; a failing upstream stops reading the client's body.
    source.once('error', (error) => {
      bodyFailure = error;
      outgoing.destroy(error);
    });
    outgoing.once('error', () => source.destroy());
    source.pipe(outgoing);
  });
}

export function createUpstreamHandler(options: UpstreamOptions): RouteHandler {
  return async (request, rest) => {
    const declared = Number(request.headers.get('content-length') ?? Number.NaN);
    if (declared > options.maxBodyBytes) {
      return problemResponse(413, `request body is larger than ${options.maxBodyBytes} bytes`);
    }
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) onClientAbort();
    request.signal.addEventListener('abort', onClientAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('upstream timeout'));
    }, options.timeoutMs);
    try {
      const body = request.body ? limitBody(request.body, options.maxBodyBytes) : null;
      const upstream = await forward(
        upstreamUrl(options.baseUrl, rest),
        request,
        body,
        controller.signal,
      );
      clearTimeout(timer);
      // The abort listener stays: a client that cancels mid-body must still stop the upstream.
      const status = upstream.statusCode ?? 502;
      const empty = request.method === 'HEAD' || NULL_BODY_STATUSES.has(status);
      if (empty) upstream.resume();
      return new Response(
        empty ? null : (Readable.toWeb(upstream) as unknown as ReadableStream<Uint8Array>),
        { status, statusText: upstream.statusMessage, headers: responseHeaders(upstream) },
      );
    } catch (error) {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onClientAbort);
      if (request.signal.aborted) throw request.signal.reason;
      if (isBodyTooLarge(error)) {
        return problemResponse(413, new BodyTooLargeError(options.maxBodyBytes).message);
      }
      if (timedOut) {
        return problemResponse(
          504,
          `upstream ${options.label} did not answer within ${options.timeoutMs} ms`,
        );
      }
      const code = errorCode(error);
      if (code && UNREACHABLE.has(code)) {
        return problemResponse(502, `upstream ${options.label} is unreachable (${code})`);
      }
      return problemResponse(502, `upstream ${options.label} failed: ${(error as Error).message}`);
    }
  };
}
