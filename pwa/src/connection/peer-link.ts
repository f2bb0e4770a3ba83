import type { DataConnection, Peer, PeerError } from 'peerjs';
import { DeviceUnreachableError, DialTimeoutError, SignalingUnavailableError } from './errors';

/** An open raw channel to a device and the peer connection that carries it. */
export interface Dialed {
  /** Our own peer id on the signaling server (the client id in pairing and authentication). */
  localId: string;
  channel: RTCDataChannel;
  peerConnection: RTCPeerConnection;
  /** Closes the channel and the peer connection. */
  close(): void;
}

/** What device connections need from the app's signaling peer. */
export interface PeerLink {
  /** Opens a reliable raw channel to `deviceId`, or rejects with a named, readable error. */
  dial(deviceId: string, signal?: AbortSignal): Promise<Dialed>;
}

export interface DialOptions {
  /**
   * How long the peer-to-peer connection may take to open, ms. Default 8000: a dial takes
   * about 2 s even relayed by TURN from cellular (pwa-internet.test.ts), and a device the
   * signaling server lists but that never answers (hung) must show offline within 10 s of
   * opening the app, page load included.
   */
  timeoutMs?: number;
}

/**
 * Dials through an open PeerJS peer: one reliable, ordered, raw DataConnection per call.
 * `waitForPeer` resolves with the peer once it is registered with the signaling server.
 */
export function createPeerLink(
  waitForPeer: (signal?: AbortSignal) => Promise<Peer>,
  options: DialOptions = {},
): PeerLink {
  const timeoutMs = options.timeoutMs ?? 8_000;
  return {
    async dial(deviceId, signal) {
      const peer = await waitForPeer(signal);
      return new Promise<Dialed>((resolve, reject) => {
        const conn: DataConnection = peer.connect(deviceId, {
          reliable: true,
          serialization: 'raw',
        });
        const timer = setTimeout(
          () =>
            fail(
              new DialTimeoutError(
                // Signaling still lists it, so it is running but not answering: hung or busy,
                // far more often than a firewall (which would also have stopped it before).
                'The device did not answer in time: it may be stuck or restarting. If it never answers, a firewall may block peer-to-peer traffic.',
              ),
            ),
          timeoutMs,
        );
        const onPeerError = (error: PeerError<string>) => {
          if (error.type === 'peer-unavailable' && error.message.includes(deviceId)) {
            fail(
              new DeviceUnreachableError(
                'The device is not connected. Check that it is powered on and online.',
              ),
            );
          } else if (
            ['network', 'server-error', 'socket-error', 'socket-closed', 'disconnected'].includes(
              error.type,
            )
          ) {
            fail(new SignalingUnavailableError('Lost the signaling server while connecting.'));
          }
        };
        const onAbort = () =>
          fail(signal?.reason instanceof Error ? signal.reason : new Error('Cancelled.'));
        function cleanup() {
          clearTimeout(timer);
          peer.off('error', onPeerError);
          signal?.removeEventListener('abort', onAbort);
        }
        function fail(error: Error) {
          cleanup();
          conn.close();
          reject(error);
        }
        peer.on('error', onPeerError);
        signal?.addEventListener('abort', onAbort, { once: true });
        conn.on('open', () => {
          cleanup();
          resolve({
            localId: peer.id,
            channel: conn.dataChannel,
            peerConnection: conn.peerConnection,
            close: () => conn.close(),
          });
        });
        conn.on('error', (error) => fail(new Error(`The connection failed: ${error.message}`)));
        conn.on('close', () => fail(new Error('The device closed the connection.')));
      });
    },
  };
}
