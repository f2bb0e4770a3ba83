/**
 * A Node client session to an edge: registers this client's peer id with the signaling
 * server, opens a reliable raw DataConnection to the device, runs the PeerFetch handshake
 * and authenticates (pairs with a code, or proves a stored pairing key).
 */
import {
  AuthenticationError,
  type ClientCredentials,
  channelBinding,
  clientAuthenticator,
  createPeerFetch,
  createRoomsClient,
  DEFAULT_PEERJS_KEY,
  openSession,
  type PeerFetch,
  type PeerFetchSession,
  type Session,
  type SessionOptions,
} from '@peerfetch/shared';
import { peerServerTarget } from '../presence/signaling-target.js';
import { closeWhenSettled, type HeldChannel, holdMessages } from '../sessions/held-channel.js';
import { type DataConnection, loadPeer, maxMessageSizeOf, type Peer } from '../webrtc/index.js';

/** The session settings a client may tune: what it accepts and how it sends. */
export type SessionTuning = Pick<
  SessionOptions,
  'maxFrameSize' | 'window' | 'highWaterMark' | 'lowWaterMark'
>;

export interface ConnectOptions {
  signalingUrl: string;
  /** PeerJS key of the signaling server. Default {@link DEFAULT_PEERJS_KEY}. */
  key?: string;
  /**
   * The edge's peer id. When absent, the single edge in this network's room (rooms API);
   * none or several is a {@link DeviceChoiceError}.
   */
  deviceId?: string;
  /** This client's peer id and token (the edge knows a paired client by its id). */
  client: { id: string; token: string };
  /** How this client is listed on the edge when it pairs. */
  clientName: string;
  /** A pairing code (to pair now) or a stored pairing key. */
  credentials: ClientCredentials;
  /** Time allowed for registering, connecting and the handshake, in ms. Default 20000. */
  timeoutMs?: number;
  /** Per-request timeout for `fetch`, in ms; the shared client's default when absent. */
  requestTimeoutMs?: number;
}

export interface DeviceConnection {
  /** The edge's peer id (the one found in the room when none was given). */
  deviceId: string;
  session: Session;
  fetch: PeerFetch['fetch'];
  /** Ends the session, then closes the connection once its channel has settled. */
  close(): Promise<void>;
}

/** No device was named and the room does not hold exactly one edge; the message lists them. */
export class DeviceChoiceError extends Error {
  override readonly name = 'PeerFetchDeviceChoiceError';
}

/** The one edge in the caller's room. */
async function singleEdgeInRoom(
  rooms: ReturnType<typeof createRoomsClient>,
  credentials: { id: string; token: string },
  name: string,
): Promise<string> {
  const listing = await rooms.join({ ...credentials, role: 'app', name: name.slice(0, 64) });
  await rooms.leave(credentials).catch(() => {});
  const edges = listing.members.filter((m) => m.role === 'edge');
  if (edges.length === 1) return edges[0]!.id;
  if (edges.length === 0) {
    throw new DeviceChoiceError('no device is online in this network; name one with --device ID');
  }
  const list = edges.map((e) => `  ${e.id}  ${e.name}`).join('\n');
  throw new DeviceChoiceError(
    `several devices are online here; choose one with --device:\n${list}`,
  );
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
    peer.once('error', (error) => {
      const refused = (error as { type?: string }).type === 'unavailable-id';
      const why = refused
        ? `it reserves this client's id ${peer.id} for another token (${error.message})`
        : error.message;
      reject(new ConnectError(`cannot register with ${signalingUrl}: ${why}`));
    });
  });
}

/**
 * Opens the client's authenticated session on an open DataConnection, bound to this
 * connection's DTLS fingerprints, and releases the held channel. Call it inside the
 * connection's 'open' event (see openClientSession below).
 */
export function openAuthenticatedSession(
  connection: DataConnection,
  held: HeldChannel,
  options: {
    clientId: string;
    deviceId: string;
    clientName: string;
    credentials: ClientCredentials;
    /** Whether to pack frames into BATCH messages (default true; false for comparisons). */
    batch?: boolean;
    /** Session settings to announce instead of the defaults (benchmarks and tuning sweeps). */
    tuning?: SessionTuning;
  },
): PeerFetchSession {
  const pc = connection.peerConnection;
  const binding = channelBinding('client', {
    localId: options.clientId,
    remoteId: options.deviceId,
    localSdp: pc.localDescription?.sdp ?? '',
    remoteSdp: pc.remoteDescription?.sdp ?? '',
  });
  const session = openSession(held, {
    ...options.tuning,
    role: 'client',
    maxMessageSize: maxMessageSizeOf(pc),
    batch: options.batch,
    authenticate: clientAuthenticator({
      binding,
      clientName: options.clientName,
      credentials: options.credentials,
    }),
  });
  held.release();
  return session;
}

/**
 * Resolves with a client session made inside the connection's 'open' event itself: the
 * edge's HELLO may be queued right behind 'open' (@roamhq/wrtc dispatches events through
 * process.nextTick), and a promise continuation would run too late to see it.
 */
function openClientSession(
  peer: Peer,
  connection: DataConnection,
  held: HeldChannel,
  options: ConnectOptions & { deviceId: string },
): Promise<PeerFetchSession> {
  const { deviceId } = options;
  return new Promise((resolve, reject) => {
    connection.once('open', () => {
      try {
        const session = openAuthenticatedSession(connection, held, {
          clientId: options.client.id,
          deviceId,
          clientName: options.clientName,
          credentials: options.credentials,
        });
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
  const { id, token } = options.client;
  let connection: DataConnection | undefined;
  let held: HeldChannel | undefined;
  const closeConnection = async () => {
    if (connection) await closeWhenSettled(connection, held);
  };
  const peer = new Peer(id, {
    ...peerServerTarget(options.signalingUrl),
    key: options.key ?? DEFAULT_PEERJS_KEY,
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
    const rooms = createRoomsClient({ baseUrl: options.signalingUrl, timeoutMs });
    try {
      const { iceServers } = await rooms.iceServers({ id, token });
      peer.options.config = { ...peer.options.config, iceServers };
    } catch {
      // Without /ice, host candidates still reach a device on the same network.
    }
    const deviceId =
      options.deviceId ?? (await singleEdgeInRoom(rooms, { id, token }, options.clientName));
    connection = peer.connect(deviceId, { reliable: true, serialization: 'raw' });
    // PeerJS makes the caller's channel inside connect(): hold its messages from now on.
    held = holdMessages(connection.dataChannel, connection.peerConnection);
    const session = await withTimeout(
      openClientSession(peer, connection, held, { ...options, deviceId }),
      timeoutMs,
      `could not open a connection to device ${deviceId}`,
    );
    await withTimeout(session.ready, timeoutMs, 'the device did not complete the handshake').catch(
      (error: Error) => {
        session.close();
        // The authenticator's own error says why (wrong code, not paired, not verified…).
        throw error.cause instanceof AuthenticationError ? error.cause : error;
      },
    );
    const client = createPeerFetch(session, { timeoutMs: options.requestTimeoutMs });
    return {
      deviceId,
      session,
      fetch: (input, init) => client.fetch(input, init),
      async close() {
        session.close();
        await closeConnection();
        peer.destroy();
      },
    };
  } catch (error) {
    await closeConnection();
    peer.destroy();
    throw error;
  }
}
