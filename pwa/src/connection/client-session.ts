import {
  type ClientCredentials,
  type ClientSessionSettings,
  DEFAULT_PEER_MAX_MESSAGE_SIZE,
  openClientSession,
  type PeerFetchSession,
} from '@peerfetch/shared';
import type { Dialed } from './peer-link';

export interface DialedSessionOptions {
  deviceId: string;
  /** How this phone is listed on the device when it pairs. */
  clientName: string;
  /** A pairing code (to pair now) or the stored pairing key. */
  credentials: ClientCredentials;
  /** Session settings instead of the defaults (ping and dead timeouts, ...). */
  sessionOptions?: ClientSessionSettings;
}

/**
 * The shared client recipe (openClientSession) on a dialed connection: bound to both of its
 * session descriptions, and sending what the device's SCTP accepts (64 KiB when unsaid).
 */
export function openDialedSession(dialed: Dialed, options: DialedSessionOptions): PeerFetchSession {
  const pc = dialed.peerConnection;
  return openClientSession({
    ...options,
    channel: dialed.channel,
    localSdp: pc.localDescription?.sdp,
    remoteSdp: pc.remoteDescription?.sdp,
    maxMessageSize: pc.sctp?.maxMessageSize || DEFAULT_PEER_MAX_MESSAGE_SIZE,
    clientId: dialed.localId,
  });
}
