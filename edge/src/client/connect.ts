/**
 * A Node client session to an edge: registers a throwaway peer with the signaling server,
 * opens a reliable raw DataConnection to the device and runs the PeerFetch handshake.
 */
import { randomBytes } from 'node:crypto';
import {
  createPeerFetch,
  createRoomsClient,
  openSession,
  type PeerFetch,
  type PeerFetchSession,
  type Session,
} from '@peerfetch/shared';
import { peerServerTarget } from '../presence/signaling-target.js';
import { holdMessages } from '../sessions/held-channel.js';
import { type DataConnection, loadPeer, maxMessageSizeOf, type Peer } from '../webrtc/index.js';

export interface ConnectOptions {
  signalingUrl: string;
  /** PeerJS key of the signaling server. Default `peerjs`. */
  key?: string;
  deviceId: string;
  /** Time allowed for registering, connecting and the handshake, in ms. Default 20000. */
  timeoutMs?: number;
  /** Per-request timeout for `fetch`, in ms; the shared client's default when absent. */
  requestTimeoutMs?: number;
}

export interface DeviceConnection {
  session: Session;
  fetch: PeerFetch['fetch'];
  close(): void;
}

/** Could not reach the signaling server or the device; the message says which. */
export class ConnectError extends Error {
  override readonly name = 'PeerFetchConnectError';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ConnectError(`${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function register(peer: Peer, signalingUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    peer.once('open', () => resolve());
    peer.once('error', (error) =>
      reject(new ConnectError(`cannot register with ${signalingUrl}: ${error.message}`)),
    );
  });
}

/**
 * Resolves with a client session made inside the connection's 'open' event itself: the
 * edge's HELLO may be queued right behind 'open' (@roamhq/wrtc dispatches events through
 * process.nextTick), and a promise continuation would run too late to see it.
 */
function openClientSession(
  peer: Peer,
  connection: DataConnection,
  deviceId: string,
): Promise<PeerFetchSession> {
  // PeerJS makes the caller's channel inside connect(): hold its messages from now on.
  const held = holdMessages(connection.dataChannel);
  return new Promise((resolve, reject) => {
    connection.once('open', () => {
      try {
        const session = openSession(held, {
          role: 'client',
          maxMessageSize: maxMessageSizeOf(connection.peerConnection),
        });
        held.release();
        resolve(session);
      } catch (error) {
        reject(error);
      }
    });
    connection.once('error', (error) => reject(new ConnectError(error.message)));
    peer.on('error', (error) => {
      const type = (error as { type?: string }).type;
      if (type === 'peer-unavailable') {
        reject(new ConnectError(`device ${deviceId} is not connected to the signaling server`));
      } else reject(new ConnectError(error.message));
    });
  });
}

export async function connectToDevice(options: ConnectOptions): Promise<DeviceConnection> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const Peer = await loadPeer();
  const id = `client${randomBytes(12).toString('hex')}`;
  const token = randomBytes(24).toString('hex');
  const peer = new Peer(id, {
    ...peerServerTarget(options.signalingUrl),
    key: options.key ?? 'peerjs',
    token,
    config: { iceServers: [] },
    debug: 0,
  });
  try {
    await withTimeout(
      register(peer, options.signalingUrl),
      timeoutMs,
      'no answer from the signaling server',
    );
    try {
      const rooms = createRoomsClient({ baseUrl: options.signalingUrl, timeoutMs });
      const { iceServers } = await rooms.iceServers({ id, token });
      peer.options.config = { ...peer.options.config, iceServers };
    } catch {
      // Without /ice, host candidates still reach a device on the same network.
    }
    const connection = peer.connect(options.deviceId, { reliable: true, serialization: 'raw' });
    const session = await withTimeout(
      openClientSession(peer, connection, options.deviceId),
      timeoutMs,
      `could not open a connection to device ${options.deviceId}`,
    );
    await withTimeout(session.ready, timeoutMs, 'the device did not complete the handshake');
    const client = createPeerFetch(session, { timeoutMs: options.requestTimeoutMs });
    return {
      session,
      fetch: (input, init) => client.fetch(input, init),
      close() {
        session.close();
        connection.close();
        peer.destroy();
      },
    };
  } catch (error) {
    peer.destroy();
    throw error;
  }
}
