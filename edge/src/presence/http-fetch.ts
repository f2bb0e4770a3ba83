/**
 * The `fetch` the edge gives its rooms client: small JSON calls on node:http, answered
 * as a whole-body `Response`.
 *
 * Not Node's own fetch, for memory: undici's HTTP parser is WebAssembly, and once it has
 * parsed a few responses V8 recompiles it with TurboFan on its platform threads. That compile
 * peaks near 30 MiB of malloc, and glibc keeps part of it resident in those threads' arenas
 * for the life of the process: about 6 MiB of the idle edge's RSS
 * (docs/PERFORMANCE.md#why-nodehttp-for-the-rooms-client). The upstream hop is on node:http
 * already, so the parser never runs here.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { NULL_BODY_STATUSES } from '@peerfetch/shared';
import { headersOf } from '../router/headers.js';

/**
 * Sends `init.body` (a string or bytes, if any) with `init`'s method, headers and signal.
 * Takes a URL or a URL string; a `Request` or a streaming body is a TypeError.
 */
export async function httpFetch(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  if (input instanceof Request) throw new TypeError('httpFetch takes a URL, not a Request');
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new TypeError('httpFetch sends a string or bytes body only');
  const url = new URL(input);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const answer = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = request(url, {
      method: init.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init.headers)),
      signal: init.signal ?? undefined,
    });
    outgoing.once('response', resolve);
    outgoing.once('error', reject);
    outgoing.end(body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of answer) chunks.push(chunk as Buffer);
  const status = answer.statusCode ?? 502;
  return new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
    status,
    statusText: answer.statusMessage,
    headers: headersOf(answer),
  });
}
