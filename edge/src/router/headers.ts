import type { IncomingMessage } from 'node:http';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection, not the message,
 * so a proxy drops them in both directions, along with any header `Connection` names.
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** The headers of a node:http message as it received them (each Set-Cookie kept apart). */
export function headersOf(message: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** A copy of `headers` without hop-by-hop headers and without any named in `extraDrop`. */
export function endToEndHeaders(headers: Headers, extraDrop: readonly string[] = []): Headers {
  const out = new Headers(headers);
  const named = (headers.get('connection') ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named, ...extraDrop]) out.delete(name);
  return out;
}
