import { PEERJS_PATH } from '@peerfetch/shared';

/** Where PeerJS should connect, derived from the signaling server's base URL. */
export interface PeerServerTarget {
  host: string;
  port: number;
  /** PeerJS server mount path: the base URL's path plus PEERJS_PATH. */
  path: string;
  secure: boolean;
}

export function peerServerTarget(signalingUrl: string): PeerServerTarget {
  const url = new URL(signalingUrl);
  const secure = url.protocol === 'https:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    path: `${url.pathname.replace(/\/+$/, '')}${PEERJS_PATH}`,
    secure,
  };
}
