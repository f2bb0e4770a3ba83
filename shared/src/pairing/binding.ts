import { AuthenticationError } from './errors.js';

/**
 * What ties a pairing or an authentication to one WebRTC connection: the DTLS certificate
 * fingerprints each side sees in the SDP, and the two peer ids. Someone relaying the
 * connection (a malicious signaling server) has DTLS sessions of its own, so the two sides
 * see different fingerprints and every proof fails.
 */
export interface ChannelBinding {
  clientId: string;
  edgeId: string;
  clientFingerprint: string;
  edgeFingerprint: string;
}

/** The `a=fingerprint` values of an SDP, normalised and sorted (one per certificate). */
export function sdpFingerprint(sdp: string): string {
  const values = [...sdp.matchAll(/^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$/gm)].map(
    ([, algorithm, value]) => `${algorithm!.toLowerCase()} ${value!.toUpperCase()}`,
  );
  if (values.length === 0) {
    throw new AuthenticationError(
      'failed',
      'the session description has no DTLS fingerprint to bind to',
    );
  }
  return [...new Set(values)].sort().join(',');
}

/** Builds the binding from this side's view of the connection. */
export function channelBinding(
  role: 'client' | 'server',
  view: { localId: string; remoteId: string; localSdp: string; remoteSdp: string },
): ChannelBinding {
  const local = sdpFingerprint(view.localSdp);
  const remote = sdpFingerprint(view.remoteSdp);
  return role === 'client'
    ? {
        clientId: view.localId,
        edgeId: view.remoteId,
        clientFingerprint: local,
        edgeFingerprint: remote,
      }
    : {
        clientId: view.remoteId,
        edgeId: view.localId,
        clientFingerprint: remote,
        edgeFingerprint: local,
      };
}
