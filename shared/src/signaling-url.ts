import { PEERJS_PATH } from './constants.js';

/** Where PeerJS connects; always passed explicitly, so PeerJS never falls back to its cloud. */
export interface PeerServerOptions {
  host: string;
  port: number;
  /** The signaling server's base path plus PEERJS_PATH. */
  path: string;
  secure: boolean;
}

/**
 * PeerJS server options for a signaling server's base URL: PEERJS_PATH below the URL's path,
 * on the same host, port 443 or 80 when the URL names none. An IPv6 host keeps its brackets:
 * PeerJS writes `${host}:${port}` into its URLs, which are invalid without them.
 */
export function peerServerOptions(signalingUrl: string | URL): PeerServerOptions {
  const url = new URL(signalingUrl);
  const secure = url.protocol === 'https:';
  return {
    host: url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname.replace(/\/+$/, '')}${PEERJS_PATH}`,
    secure,
  };
}
