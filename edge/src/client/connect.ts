/**
 * A Node client session to an edge: registers this client's peer id with the signaling
 * server, opens a reliable raw DataConnection to the device, runs the PeerFetch handshake
 * and authenticates (pairs with a code, or proves a stored pairing key).
 */
import {
  AuthenticationError,
  type ClientCredentials,
  createPeerFetch,
  createRoomsApi,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PEERJS_KEY,
  openClientSession,
  type PeerFetch,
  peerServerOptions,
  type Session,
} from '@peerfetch/shared';
import { closeWhenSettled, type HeldChannel } from '../webrtc/held-channel.js';
import { diagnoseIce } from '../webrtc/ice-diagnosis.js';
import { type DataConnection, loadPeer, type Peer, sessionInputsOf } from '../webrtc/index.js';
import { dialSession } from '../webrtc/open-event.js';
import { type ConnectionPath, pathOf } from '../webrtc/path.js';

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
  /** Time allowed for registering, connecting and the handshake, in ms. Default DEFAULT_CONNECT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Per-request timeout for `fetch`, in ms; the shared client's default when absent. */
  requestTimeoutMs?: number;
  /** Connect only through a TURN relay, so the device never learns this client's addresses. */
  relayOnly?: boolean;
}

export interface DeviceConnection {
  /** The edge's peer id (the one found in the room when none was given). */
  deviceId: string;
  session: Session;
  fetch: PeerFetch['fetch'];
  /** The path the session's bytes take now (direct, across NATs, or relayed by TURN). */
  path(): Promise<ConnectionPath>;
  /** The connection's RTCPeerConnection, for diagnostics (its getStats()). */
  readonly peerConnection: DataConnection['peerConnection'];
  /** Ends the session, then closes the connection once its channel has settled. */
  close(): Promise<void>;
}

/** No device was named and the room does not hold exactly one edge; the message lists them. */
export class DeviceChoiceError extends Error {
  override readonly name = 'PeerFetchDeviceChoiceError';
}

/** The one edge in the caller's room. */
async function singleEdgeInRoom(
  rooms: ReturnType<typeof createRoomsApi>,
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

/** Rejects with a ConnectError saying `what` when `promise` has not settled by `deadline`. */
function byDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  what: () => Promise<string>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => void what().then((message) => reject(new ConnectError(message))),
      Math.max(0, deadline - Date.now()),
    );
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

/** PeerJS error types of a signaling server that cannot be reached at all. */
const UNREACHABLE = new Set(['network', 'socket-error', 'socket-closed', 'server-error']);

function register(peer: Peer, signalingUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    peer.once('open', () => resolve());
    peer.once('error', (error) => {
      const type = (error as { type?: string }).type ?? '';
      const why =
        type === 'unavailable-id'
          ? `it reserves this client's id ${peer.id} for another token (${error.message})`
          : UNREACHABLE.has(type)
            ? 'nothing answers there (check the address, and that the server is running)'
            : error.message;
      reject(new ConnectError(`cannot register with ${signalingUrl}: ${why}`));
    });
  });
}

/** Rejects with a ConnectError once the connection or the peer fails. */
function failureOf(peer: Peer, connection: DataConnection, deviceId: string): Promise<never> {
  return new Promise((_, reject) => {
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
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // One deadline for all of it: registering, the room, ICE and the handshake.
  const deadline = Date.now() + timeoutMs;
  const late = (what: string) => async () => `${what} within ${timeoutMs / 1000} s`;
  const Peer = await loadPeer();
  const { id, token } = options.client;
  let connection: DataConnection | undefined;
  let held: HeldChannel | undefined;
  const closeConnection = async () => {
    if (!connection) return;
    // A channel that never opened carries no farewell to wait for.
    if (connection.open) await closeWhenSettled(connection, held);
    else connection.close();
  };
  const peer = new Peer(id, {
    ...peerServerOptions(options.signalingUrl),
    key: options.key ?? DEFAULT_PEERJS_KEY,
    token,
    config: { iceServers: [], iceTransportPolicy: options.relayOnly ? 'relay' : 'all' },
    debug: 0,
  });
  try {
    await byDeadline(
      register(peer, options.signalingUrl),
      deadline,
      late('no answer from the signaling server'),
    );
    const rooms = createRoomsApi({ baseUrl: options.signalingUrl, timeoutMs });
    try {
      const { iceServers } = await byDeadline(
        rooms.iceServers({ id, token }),
        deadline,
        late('no ICE servers from the signaling server'),
      );
      peer.options.config = { ...peer.options.config, iceServers };
    } catch {
      // Without /ice, host candidates still reach a device on the same network.
    }
    const deviceId =
      options.deviceId ??
      (await byDeadline(
        singleEdgeInRoom(rooms, { id, token }, options.clientName),
        deadline,
        late('no answer from the room API'),
      ));
    const dialed = dialSession(peer, deviceId, (channel, pc) =>
      openClientSession({
        channel,
        ...sessionInputsOf(pc),
        clientId: id,
        deviceId,
        clientName: options.clientName,
        credentials: options.credentials,
      }),
    );
    ({ connection, held } = dialed);
    const ice = diagnoseIce(connection.peerConnection);
    const session = await byDeadline(
      Promise.race([dialed.session, failureOf(peer, connection, deviceId)]),
      deadline,
      async () =>
        `could not open a connection to device ${deviceId} within ${timeoutMs / 1000} s: ${await ice.explain()}`,
    );
    await byDeadline(
      session.ready,
      deadline,
      late('the device did not complete the handshake'),
    ).catch((error: Error) => {
      session.close();
      // The authenticator's own error says why (wrong code, not paired, not verified…).
      throw error.cause instanceof AuthenticationError ? error.cause : error;
    });
    const client = createPeerFetch(session, { timeoutMs: options.requestTimeoutMs });
    return {
      deviceId,
      session,
      fetch: (input, init) => client.fetch(input, init),
      path: () => pathOf(dialed.connection.peerConnection),
      peerConnection: dialed.connection.peerConnection,
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
