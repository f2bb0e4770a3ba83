/**
 * The edge's side of PROTOCOL.md §5 for one connection: binds the exchange to the DTLS
 * fingerprints of this RTCPeerConnection and both peer ids, and logs who failed and why.
 */
import {
  AuthenticationError,
  type Authenticator,
  type AuthFailureReason,
  channelBinding,
  type EdgeAuthOptions,
  edgeAuthenticator,
} from '@peerfetch/shared';
import type { Logger } from '../logger.js';

/** What the edge authenticator needs besides the connection it binds to. */
export type EdgeAuthDeps = Omit<EdgeAuthOptions, 'binding'> & {
  edgeId: string;
  /** Told once per refused authentication (metrics). */
  onRefused?(reason: AuthFailureReason): void;
};

/** The local and remote SDP of a connection (null until negotiated). */
export function sessionDescriptions(peerConnection: unknown): { local: string; remote: string } {
  const pc = peerConnection as {
    localDescription?: { sdp?: string } | null;
    remoteDescription?: { sdp?: string } | null;
  } | null;
  return { local: pc?.localDescription?.sdp ?? '', remote: pc?.remoteDescription?.sdp ?? '' };
}

export function authenticatorFor(
  deps: EdgeAuthDeps,
  connection: { peer: string; peerConnection: unknown },
  log: Logger,
): Authenticator {
  return async (channel) => {
    try {
      const sdp = sessionDescriptions(connection.peerConnection);
      const binding = channelBinding('server', {
        localId: deps.edgeId,
        remoteId: connection.peer,
        localSdp: sdp.local,
        remoteSdp: sdp.remote,
      });
      await edgeAuthenticator({ ...deps, binding })(channel);
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : 'failed';
      deps.onRefused?.(reason);
      log.warn(
        { clientId: connection.peer, reason, err: (error as Error).message },
        'authentication failed',
      );
      throw error;
    }
  };
}
