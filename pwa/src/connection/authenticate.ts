import {
  AuthenticationError,
  type Authenticator,
  type ChannelBinding,
  type ClientCredentials,
  channelBinding,
  clientAuthenticator,
} from '@peerfetch/shared';
import type { Dialed } from './peer-link';

/**
 * The binding of a dialed connection: both peer ids and the DTLS fingerprints of both
 * session descriptions (set once the DataConnection is open).
 */
export function bindingOf(dialed: Dialed, deviceId: string): ChannelBinding {
  const localSdp = dialed.peerConnection.localDescription?.sdp;
  const remoteSdp = dialed.peerConnection.remoteDescription?.sdp;
  if (!localSdp || !remoteSdp) {
    throw new AuthenticationError('failed', 'the connection has no session description to bind to');
  }
  return channelBinding('client', {
    localId: dialed.localId,
    remoteId: deviceId,
    localSdp,
    remoteSdp,
  });
}

/**
 * The client authenticator for one dialed connection. The binding is read when the
 * handshake starts, so a connection without descriptions fails the handshake (not the app).
 */
export function authenticatorFor(
  dialed: Dialed,
  deviceId: string,
  clientName: string,
  credentials: ClientCredentials,
): Authenticator {
  return (channel) =>
    clientAuthenticator({ binding: bindingOf(dialed, deviceId), clientName, credentials })(channel);
}
