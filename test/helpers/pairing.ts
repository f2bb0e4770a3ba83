/**
 * Pairing for tests, done for real: read the code the edge logs (or get one from
 * `peerfetch-edge pair`), pair a client with it, and open authenticated sessions with the
 * stored key. Also the in-process PeerJS client session that tests poke at the wire with.
 */
import { randomBytes } from 'node:crypto';
import { closeWhenSettled, dialSession, type HeldChannel, sessionInputsOf } from '@peerfetch/edge';
import {
  type Authenticator,
  type ClientCredentials,
  type ClientSessionSettings,
  createPeerFetch,
  DEFAULT_PEER_MAX_MESSAGE_SIZE,
  importPairingKey,
  openClientSession,
  openSession,
  type PeerFetch,
  type PeerFetchSession,
} from '@peerfetch/shared';
import type { DataConnection } from 'peerjs';
import { type CliResult, runClientCli, runEdgeCli, type StartedEdge } from './edge.js';
import { createNodePeer, type Peer, randomPeerId } from './peerjs-node.js';

export interface PairingWindowInfo {
  code: string;
  link: string;
  expiresAt: number;
}

/** A client's PeerJS id and token: the edge knows a paired client by this id. */
export interface ClientIdentity {
  id: string;
  token: string;
}

export interface PairedIdentity extends ClientIdentity {
  key: CryptoKey;
}

export function newIdentity(): ClientIdentity {
  return { id: randomPeerId('client'), token: randomBytes(16).toString('hex') };
}

/** The `n`-th (0-based) pairing window the edge logged, past or future. */
export async function pairingWindowOf(edge: StartedEdge, n = 0): Promise<PairingWindowInfo> {
  await edge.waitForLog(() => edge.logs.filter((l) => l.msg === 'pairing window open').length > n);
  const line = edge.logs.filter((l) => l.msg === 'pairing window open')[n]!;
  return { code: String(line.code), link: String(line.link), expiresAt: Number(line.expiresAt) };
}

/** Runs `peerfetch-edge pair --json`: opens the window (or shows the open one). */
export async function openPairingWindow(
  edge: StartedEdge,
): Promise<PairingWindowInfo & { attemptsLeft: number }> {
  const result = await runEdgeCli(edge, ['pair', '--json']);
  if (result.code !== 0) throw new Error(`peerfetch-edge pair failed: ${result.stderr}`);
  return JSON.parse(result.stdout.toString());
}

export interface ClientSession {
  identity: ClientIdentity;
  peer: Peer;
  connection: DataConnection;
  session: PeerFetchSession;
  fetch: PeerFetch['fetch'];
  /**
   * Closes the session and unregisters the peer. Resolves once the signaling server has had
   * time to forget the id: it re-admits an id with the same token only after the old socket
   * is gone (a takeover gets no OPEN).
   */
  close(): Promise<void>;
}

/** Time for the signaling server to see a closed socket on loopback. */
const UNREGISTER_SETTLE_MS = 300;

export interface ConnectOptions {
  identity: ClientIdentity;
  credentials: ClientCredentials;
  clientName?: string;
  /** Receives a copy of every message this client sends (to replay them later). */
  record?: Uint8Array[];
  /**
   * Session settings instead of the defaults: `{ batch: false }` to measure without BATCH,
   * window and water marks for the bench's tuning sweeps.
   */
  sessionOptions?: ClientSessionSettings;
}

/**
 * A stock PeerJS client in this process with an authenticated PeerFetch session to
 * `deviceId`: the shared client recipe, made the edge's way (dialSession: inside the
 * connection's 'open' event, on a held channel). Rejects (after closing) when the handshake
 * or authentication fails; the error's `cause` says why.
 */
export function connectClient(
  port: number,
  deviceId: string,
  options: ConnectOptions,
): Promise<ClientSession> {
  return connectWith(port, deviceId, options, (channel, peerConnection) =>
    openClientSession({
      channel,
      ...sessionInputsOf(peerConnection),
      clientId: options.identity.id,
      deviceId,
      clientName: options.clientName ?? 'integration test',
      credentials: options.credentials,
      sessionOptions: options.sessionOptions,
    }),
  );
}

/**
 * A client session whose authentication is `authenticate`, played by the test: to send the
 * edge what no stock client would (malformed pairing requests, say). Rejects like
 * connectClient when the authentication fails.
 */
export function connectWithAuthenticator(
  port: number,
  deviceId: string,
  identity: ClientIdentity,
  authenticate: Authenticator,
): Promise<ClientSession> {
  return connectWith(port, deviceId, { identity }, (channel) =>
    openSession(channel, {
      role: 'client',
      maxMessageSize: DEFAULT_PEER_MAX_MESSAGE_SIZE,
      authenticate,
    }),
  );
}

/** A PeerJS client whose session `open` makes (see dialSession). */
async function connectWith(
  port: number,
  deviceId: string,
  options: Pick<ConnectOptions, 'identity' | 'record'>,
  open: (
    channel: HeldChannel,
    peerConnection: DataConnection['peerConnection'],
  ) => PeerFetchSession,
): Promise<ClientSession> {
  const { peer } = await createNodePeer({ port, ...options.identity });
  // createNodePeer destroys the peer on any error, even after it opened; a signaling outage
  // must not close this client's (peer-to-peer) connection, so errors are only noted here.
  peer.removeAllListeners('error');
  peer.on('error', () => {});
  const { connection, held, session: opened } = dialSession(peer, deviceId, open);
  if (options.record) {
    const { record } = options;
    const send = held.send;
    held.send = (data) => {
      record.push(data.slice());
      send(data);
    };
  }
  const close = async () => {
    await closeWhenSettled(connection, held);
    peer.destroy();
    await new Promise((r) => setTimeout(r, UNREGISTER_SETTLE_MS));
  };
  let session: PeerFetchSession;
  try {
    let timer: NodeJS.Timeout | undefined;
    session = await Promise.race([
      opened,
      new Promise<never>((_, reject) => {
        connection.once('error', reject);
        timer = setTimeout(
          () => reject(new Error(`no connection to ${deviceId} within 20 s`)),
          20_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    await session.ready;
  } catch (error) {
    await close();
    throw error;
  }
  const client = createPeerFetch(session);
  return {
    identity: options.identity,
    peer,
    connection,
    session,
    fetch: (input, init) => client.fetch(input, init),
    close() {
      session.close();
      return close();
    },
  };
}

/** Pairs a new in-process client with `code` (default: from `peerfetch-edge pair`). */
export async function pairClient(
  port: number,
  edge: StartedEdge,
  code?: string,
  identity = newIdentity(),
): Promise<PairedIdentity> {
  const pairingCode = code ?? (await openPairingWindow(edge)).code;
  let raw: Uint8Array | undefined;
  const session = await connectClient(port, edge.peerId, {
    identity,
    credentials: {
      pairingCode,
      onPaired: (result) => {
        raw = result.key;
      },
    },
  });
  await session.close();
  if (!raw) throw new Error('paired without a key');
  return { ...identity, key: await importPairingKey(raw) };
}

/** A session of a paired identity (proves its key). */
export function connectPaired(
  port: number,
  edge: StartedEdge,
  paired: PairedIdentity,
  options: Pick<ConnectOptions, 'sessionOptions'> = {},
): Promise<ClientSession> {
  return connectClient(port, edge.peerId, {
    identity: { id: paired.id, token: paired.token },
    credentials: { key: paired.key },
    ...options,
  });
}

/** Pairs a new client (opening a window if needed) and returns a ready session for it. */
export async function pairedSession(port: number, edge: StartedEdge): Promise<ClientSession> {
  return connectPaired(port, edge, await pairClient(port, edge));
}

/** `peerfetch pair` (the Node CLI) with the edge's current code, storing in `configHome`. */
export async function pairCli(
  signalingUrl: string,
  edge: StartedEdge,
  configHome: string,
  code?: string,
): Promise<CliResult> {
  const pairingCode = code ?? (await openPairingWindow(edge)).code;
  return runClientCli(
    ['pair', '--signaling', signalingUrl, '--device', edge.peerId, '--code', pairingCode],
    { configHome },
  );
}
