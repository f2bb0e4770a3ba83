import { PEERJS_PATH } from '@peerfetch/shared';

/** The host/port/path/secure PeerJS needs; passed explicitly so PeerJS never uses its cloud. */
export interface PeerServerOptions {
  host: string;
  port: number;
  path: string;
  secure: boolean;
}

/** The user typed something that is not an http(s) URL. */
export class InvalidSignalingUrlError extends Error {
  override readonly name = 'InvalidSignalingUrlError';
}

/**
 * Parses a signaling server URL as the user typed it. A missing scheme means https (what
 * phones need); query and fragment are dropped; the path is kept as a prefix.
 */
export function parseSignalingUrl(input: string): URL {
  const trimmed = input.trim();
  if (trimmed === '')
    throw new InvalidSignalingUrlError('Enter the address of a signaling server.');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidSignalingUrlError(
      `"${trimmed}" is not a web address. Try something like https://signal.example.org`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidSignalingUrlError(
      `Use an http:// or https:// address, not ${url.protocol}//.`,
    );
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** PeerJS server options for a signaling base URL: PEERJS_PATH below it on the same host. */
export function peerServerOptions(base: URL): PeerServerOptions {
  const secure = base.protocol === 'https:';
  const port = base.port === '' ? (secure ? 443 : 80) : Number(base.port);
  return {
    host: base.hostname,
    port,
    path: `${base.pathname.replace(/\/$/, '')}${PEERJS_PATH}`,
    secure,
  };
}

/** The default signaling server: the origin (and folder) the app itself was served from. */
export function defaultSignalingUrl(location: { href: string }): string {
  const url = new URL('./', location.href);
  url.search = '';
  url.hash = '';
  return url.origin + (url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''));
}
