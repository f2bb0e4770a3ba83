/**
 * This process's side of the baselines: starts `bench-peer.ts` as a child process and
 * connects to it with a stock PeerJS client on @roamhq/wrtc, raw, `binary`, or PeerFetch.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { holdMessages } from '@peerfetch/edge';
import {
  CHANNEL_CLOSE_WAIT_MS,
  createPeerFetch,
  type DataChannelLike,
  openSession,
  type PeerFetch,
  type SessionOptions,
  whenClosed,
} from '@peerfetch/shared';
import { PATTERN, smallBody } from '@peerfetch/test/helpers/pattern-upstream.js';
import { type Peer, randomPeerId, waitForOpen } from '@peerfetch/test/helpers/peerjs-node.js';
import type { DataConnection } from 'peerjs';
import { type PeerRequest, RawOp } from './bench-protocol.js';
import { receiveBytes, type SendPolicy, sendBytes } from './raw-channel.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BenchPeer {
  id: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Where a bench peer runs other than here: a host of the internet in a box. */
export interface BenchPeerPlace {
  /** The signaling server there; the peer takes its ICE servers from its `/ice`. */
  signalingUrl: string;
  /** Starts a process there (`Internet.spawn` of a host). */
  spawn(file: string, args: string[], options: SpawnOptions): ChildProcess;
}

/**
 * Spawns the baseline server peer (optionally with extra node flags, such as --cpu-prof), here
 * or in `place`.
 */
export async function startBenchPeer(
  port: number,
  nodeFlags: string[] = [],
  place?: BenchPeerPlace,
): Promise<BenchPeer> {
  const id = randomPeerId('bench');
  const script = [join(here, 'bench-peer.ts'), String(port), id];
  if (place) script.push(place.signalingUrl);
  const child = (place?.spawn ?? spawn)(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', ...script],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench peer did not start in 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => reject(new Error('bench peer exited before it was ready')));
  });
  return {
    id,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function command(op: number, count = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(9);
  out[0] = op;
  new DataView(out.buffer).setFloat64(1, count);
  return out;
}

/** The next message on `channel`; rejects if the channel closes first (the bench peer failed). */
function nextMessage(channel: DataChannelLike): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent<ArrayBuffer>) => {
      channel.removeEventListener('message', onMessage);
      channel.removeEventListener('close', onClose);
      resolve(new Uint8Array(event.data));
    };
    const onClose = () => {
      channel.removeEventListener('message', onMessage);
      reject(new Error('the bench peer closed the channel (see its stderr)'));
    };
    channel.addEventListener('message', onMessage);
    channel.addEventListener('close', onClose);
  });
}

async function connect(
  peer: Peer,
  peerId: string,
  request: PeerRequest,
  serialization: 'raw' | 'binary' = 'raw',
): Promise<{ connection: DataConnection; channel: DataChannelLike & { release(): void } }> {
  const connection = peer.connect(peerId, { reliable: true, serialization, metadata: request });
  const channel = holdMessages(connection.dataChannel as unknown as DataChannelLike);
  await waitForOpen(connection);
  return { connection, channel };
}

export interface RawClient {
  /** ms from asking to the last byte arriving. */
  download(bytes: number): Promise<number>;
  /**
   * The same, paced as PeerFetch paces a body: at most `window` bytes unacknowledged, a
   * credit message back per quarter window received (what PeerFetch's receiver does).
   */
  windowedDownload(bytes: number, window: number): Promise<number>;
  /** ms from the first byte sent to the server's receipt. */
  upload(bytes: number): Promise<number>;
  /** Round trip of a 128-byte message, in ms. */
  echo(): Promise<number>;
  /**
   * The same-source baselines (the `sources` given to `openRaw`): the upstream's bytes, the
   * media file's, an upload the bench peer forwards to the upstream (ms until the upstream has
   * counted it), and the upstream's 128-byte answer (checked against `smallBody(i)`).
   */
  upstreamDownload(bytes: number): Promise<number>;
  fileDownload(bytes: number): Promise<number>;
  upstreamUpload(bytes: number): Promise<number>;
  upstreamEcho(i: number): Promise<number>;
  /** The PeerJS connection (its peer connection carries any second channel). */
  connection: DataConnection;
  close(): void;
}

export async function openRaw(
  peer: Peer,
  peerId: string,
  policy: SendPolicy,
  extra: Pick<PeerRequest, 'sources' | 'secondChannel'> = {},
): Promise<RawClient> {
  const { connection, channel } = await connect(peer, peerId, { mode: 'raw', policy, ...extra });
  channel.release();
  const echoMessage = new Uint8Array(128);
  echoMessage[0] = RawOp.echo;
  const downloadOf = (op: number) => async (bytes: number) => {
    const started = performance.now();
    const received = receiveBytes(channel, bytes);
    channel.send(command(op, bytes));
    await received;
    return performance.now() - started;
  };
  const uploadOf = (op: number) => async (bytes: number) => {
    const started = performance.now();
    const done = (async () => {
      // The only message the server sends during an upload is its receipt.
      const receipt = await nextMessage(channel);
      if (receipt[0] !== RawOp.uploaded) throw new Error('unexpected upload receipt');
    })();
    channel.send(command(op, bytes));
    await sendBytes(channel, bytes, PATTERN, policy);
    await done;
    return performance.now() - started;
  };
  return {
    download: downloadOf(RawOp.download),
    upstreamDownload: downloadOf(RawOp.upstreamDownload),
    fileDownload: downloadOf(RawOp.fileDownload),
    upload: uploadOf(RawOp.upload),
    upstreamUpload: uploadOf(RawOp.upstreamUpload),
    async upstreamEcho(i) {
      const started = performance.now();
      const answer = nextMessage(channel);
      channel.send(command(RawOp.upstreamEcho, i));
      const body = new TextDecoder().decode(await answer);
      const ms = performance.now() - started;
      if (body !== smallBody(i)) throw new Error(`raw upstream echo ${i}: unexpected body`);
      return ms;
    },
    async windowedDownload(bytes, window) {
      const started = performance.now();
      let unacknowledged = 0;
      const grant = (event: unknown) => {
        unacknowledged += (event as MessageEvent<ArrayBuffer>).data.byteLength;
        if (unacknowledged < window / 4) return;
        channel.send(command(RawOp.credit, unacknowledged));
        unacknowledged = 0;
      };
      channel.addEventListener('message', grant);
      const received = receiveBytes(channel, bytes);
      const ask = new Uint8Array(17);
      ask[0] = RawOp.windowedDownload;
      new DataView(ask.buffer).setFloat64(1, bytes);
      new DataView(ask.buffer).setFloat64(9, window);
      channel.send(ask);
      await received;
      channel.removeEventListener('message', grant);
      return performance.now() - started;
    },
    async echo() {
      const started = performance.now();
      const answer = nextMessage(channel);
      channel.send(echoMessage);
      await answer;
      return performance.now() - started;
    },
    connection,
    close: () => connection.close(),
  };
}

export interface BinaryClient {
  download(bytes: number): Promise<number>;
  close(): void;
}

/** PeerJS `binary` serialization: PeerJS chunks, packs and reassembles each message. */
export async function openBinary(
  peer: Peer,
  peerId: string,
  policy: SendPolicy,
): Promise<BinaryClient> {
  const { connection, channel } = await connect(peer, peerId, { mode: 'binary', policy }, 'binary');
  channel.release();
  return {
    download(bytes) {
      const started = performance.now();
      return new Promise((resolve) => {
        let received = 0;
        const onData = (data: unknown) => {
          received += (data as ArrayBuffer).byteLength;
          if (received < bytes) return;
          connection.off('data', onData);
          resolve(performance.now() - started);
        };
        connection.on('data', onData);
        connection.send(bytes);
      });
    },
    close: () => connection.close(),
  };
}

export interface DirectPeerFetch {
  fetch: PeerFetch['fetch'];
  close(): void;
}

/** A PeerFetch session with the bench peer, both sides tuned (no authentication: the sweep). */
export async function openPeerFetch(
  peer: Peer,
  peerId: string,
  client: Partial<SessionOptions>,
  server: PeerRequest['session'],
  edgeHandlers?: PeerRequest['edgeHandlers'],
): Promise<DirectPeerFetch> {
  const { connection, channel } = await connect(peer, peerId, {
    mode: 'peerfetch',
    session: server,
    ...(edgeHandlers ? { edgeHandlers } : {}),
  });
  const pc = connection.peerConnection as unknown as { sctp?: { maxMessageSize?: number } };
  const session = openSession(channel, {
    ...client,
    role: 'client',
    maxMessageSize: pc.sctp?.maxMessageSize ?? 65536,
  });
  channel.release();
  await session.ready;
  const peerFetch = createPeerFetch(session);
  return {
    fetch: (input, init) => peerFetch.fetch(input, init),
    close() {
      // The bench peer closes the channel once it has the GOAWAY (PROTOCOL.md §8).
      session.close();
      void whenClosed(channel, CHANNEL_CLOSE_WAIT_MS).then(() => connection.close());
    },
  };
}

/** Reads a response body to the end; returns the byte count. */
export async function drain(response: Response): Promise<number> {
  let total = 0;
  for await (const part of response.body!) total += part.byteLength;
  return total;
}

export { randomPeerId };
