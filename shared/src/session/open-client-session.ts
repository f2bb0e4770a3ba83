/**
 * The client's recipe for a session with a device, the same in the PWA and the Node client:
 * bind to the connection (both peer ids and the DTLS fingerprints of both session
 * descriptions), open a client session on its channel, and authenticate with a pairing code
 * or a stored key before any request (PROTOCOL.md §5). The platform dials, and reads the
 * SDPs and the peer's message size from its own peer connection.
 */
import type { DataChannelLike } from '../channel.js';
import { channelBinding } from '../pairing/binding.js';
import { type ClientCredentials, clientAuthenticator } from '../pairing/client-authenticator.js';
import type { SessionOptions } from './options.js';
import { openSession, type PeerFetchSession } from './session.js';

/** Session settings a client may choose; the recipe sets the role, message size and authenticator. */
export type ClientSessionSettings = Omit<
  SessionOptions,
  'role' | 'maxMessageSize' | 'authenticate'
>;

export interface ClientSessionOptions {
  /** The open channel to the device. */
  channel: DataChannelLike;
  /** This side's session description (`pc.localDescription?.sdp`). Required. */
  localSdp: string | undefined;
  /** The device's session description (`pc.remoteDescription?.sdp`). Required. */
  remoteSdp: string | undefined;
  /** The largest message the device accepts (`pc.sctp.maxMessageSize`, or 64 KiB when unknown). */
  maxMessageSize: number;
  /** This client's peer id: the device knows a paired client by it. */
  clientId: string;
  /** The device's peer id. */
  deviceId: string;
  /** How this client is listed on the device when it pairs. */
  clientName: string;
  /** A pairing code (to pair now) or a stored pairing key. */
  credentials: ClientCredentials;
  /** Session settings instead of the defaults (ping and dead timeouts, BATCH, window...). */
  sessionOptions?: ClientSessionSettings;
}

/**
 * The connection has no local or remote session description yet, so there is nothing to
 * bind the authentication to: the channel was used before the connection was set up.
 */
export class NoSessionDescriptionError extends Error {
  override readonly name = 'PeerFetchNoSessionDescriptionError';
}

/**
 * Opens an authenticating client session on the channel. `session.ready` resolves once the
 * device has proven itself and accepted this client; it rejects with a `handshake-failed`
 * ProtocolError whose cause, an AuthenticationError, says why not. Throws
 * NoSessionDescriptionError (before touching the channel) when an SDP is missing.
 */
export function openClientSession(options: ClientSessionOptions): PeerFetchSession {
  const { localSdp, remoteSdp } = options;
  if (!localSdp || !remoteSdp) {
    const which = localSdp ? 'remote' : remoteSdp ? 'local' : 'local or remote';
    throw new NoSessionDescriptionError(
      `the connection to ${options.deviceId} has no ${which} session description to bind to`,
    );
  }
  const binding = channelBinding('client', {
    localId: options.clientId,
    remoteId: options.deviceId,
    localSdp,
    remoteSdp,
  });
  return openSession(options.channel, {
    ...options.sessionOptions,
    role: 'client',
    maxMessageSize: options.maxMessageSize,
    authenticate: clientAuthenticator({
      binding,
      clientName: options.clientName,
      credentials: options.credentials,
    }),
  });
}
