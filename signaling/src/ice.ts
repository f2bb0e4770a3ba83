/**
 * ICE servers for a peer: STUN URLs, and TURN URLs with time-limited credentials in coturn's
 * shared-secret scheme ("TURN REST API", `use-auth-secret` / `static-auth-secret`): username
 * `<expiry unix seconds>:<peer id>`, credential base64(HMAC-SHA1(secret, username)).
 */
import { createHmac } from 'node:crypto';
import type { IceServer, IceServersResult } from '@peerfetch/shared';

export interface IceOptions {
  stunUrls: string[];
  turnUrls: string[];
  /** coturn's static-auth-secret; without it only STUN is given. */
  turnSecret: string | undefined;
  turnTtlSeconds: number;
}

/** coturn's credential for `username`. */
export function turnCredential(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** The `/ice` answer for `peerId`: STUN, and TURN with credentials that expire (`expiresAt`). */
export function iceServersFor(
  options: IceOptions,
  peerId: string,
  nowMs: number,
): IceServersResult {
  const iceServers: IceServer[] = [];
  if (options.stunUrls.length > 0) iceServers.push({ urls: options.stunUrls });
  if (!options.turnSecret || options.turnUrls.length === 0) return { iceServers };
  const expiry = Math.floor(nowMs / 1000) + options.turnTtlSeconds;
  const username = `${expiry}:${peerId}`;
  iceServers.push({
    urls: options.turnUrls,
    username,
    credential: turnCredential(options.turnSecret, username),
  });
  return { iceServers, expiresAt: expiry * 1000 };
}
