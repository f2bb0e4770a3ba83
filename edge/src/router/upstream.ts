/**
 * Forwards one request to an upstream HTTP server and streams the answer back. Failures
 * become problem+json: refused 502, slow 504, too large 413.
 */
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
      const upstream = await fetch(upstreamUrl(options.baseUrl, rest), {
        method: request.method,
        headers: endToEndHeaders(request.headers, ['host']),
        body,
        redirect: 'manual', // a redirect is the client's business, never a host we chose
        signal: controller.signal,
        duplex: 'half',
      } as RequestInit);
      clearTimeout(timer);
      // The abort listener stays: a client that cancels mid-body must still stop the upstream.
      // fetch has already decoded a compressed body; its encoding headers no longer apply.
      const decoded = upstream.headers.has('content-encoding');
      const headers = endToEndHeaders(
        upstream.headers,
        decoded ? ['content-encoding', 'content-length'] : [],
      );
      return new Response(upstream.body, {
        status: upstream.status,
        statusText: upstream.statusText,
        headers,
      });
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
