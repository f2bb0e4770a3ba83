/**
 * The baseline server, a child process like the edge: a PeerJS peer on @roamhq/wrtc that
 * answers each connection according to its metadata. Raw modes use the bare DataChannel
 * with the shared send policy; `binary` uses PeerJS's own serialization; `peerfetch` serves
 * a PeerFetch session with the given tuning (for the sweep).
 *
 *   node --import tsx bench/src/bench-peer.ts <signaling port> <peer id> [<signaling url>]
 *
 * With a signaling URL (a server in the internet in a box) it registers there instead of on
 * 127.0.0.1, with the ICE servers of that server's `/ice` (box-peer.ts).
 * Prints `ready` once the signaling server has accepted the peer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDeviceApi,
  createRouter,
  createUpstreamHandler,
  holdMessages,
} from '@peerfetch/edge';
import {
  type DataChannelLike,
  openSession,
  type RequestHandler,
  serveRequests,
} from '@peerfetch/shared';
import { PATTERN } from '@peerfetch/test/helpers/pattern-upstream.js';
import { createNodePeer } from '@peerfetch/test/helpers/peerjs-node.js';
import type { DataConnection } from 'peerjs';
import { type PeerRequest, RawOp, SECOND_CHANNEL } from './bench-protocol.js';
import { createBoxPeer } from './box-peer.js';
import {
  RawCredit,
  type SendPolicy,
  sendBytes,
  sendBytesWindowed,
  waitForDrain,
} from './raw-channel.js';
import { fetchSmall, proxyDownload, proxyUpload, sendFile } from './raw-proxy.js';

const [port, id, signalingUrl] = process.argv.slice(2);
if (!port || !id) {
  console.error('usage: bench-peer.ts <signaling port> <peer id> [<signaling url>]');
  process.exit(2);
}

/** `total` bytes of the pattern in `chunk`-byte pieces (an fs or HTTP stream gives 64 KiB). */
function patternStream(total: number, chunk = PATTERN.byteLength): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const n = Math.min(chunk, total - sent);
      controller.enqueue(PATTERN.subarray(0, n));
      sent += n;
      if (sent >= total) controller.close();
    },
  });
}

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/bytes') {
    const chunk = Number(url.searchParams.get('chunk') ?? PATTERN.byteLength);
    return new Response(patternStream(Number(url.searchParams.get('n')), chunk));
  }
  if (url.pathname === '/upload') {
    let bytes = 0;
    for await (const part of request.body!) bytes += part.byteLength;
    return Response.json({ bytes });
  }
  return new Response('x'.repeat(128));
}

/** Raw mode: one command per message, answered on the bare channel. */
function serveRaw(connection: DataConnection, channel: DataChannelLike, request: PeerRequest) {
  const policy = request.policy!;
  const sources = request.sources;
  const fail = (error: unknown) => {
    console.error(`bench peer: ${error instanceof Error ? error.message : String(error)}`);
    connection.close();
  };
  let uploadLeft = 0;
  let upload: ReturnType<typeof proxyUpload> | undefined;
  let credit: RawCredit | undefined;
  channel.addEventListener('message', (event: MessageEvent<ArrayBuffer>) => {
    const data = new Uint8Array(event.data);
    if (uploadLeft > 0) {
      uploadLeft -= data.byteLength;
      upload?.write(data);
      if (uploadLeft > 0) return;
      // A forwarded upload's receipt waits for the upstream's count (see upstreamUpload).
      if (upload) upload.end();
      else channel.send(new Uint8Array([RawOp.uploaded]));
      upload = undefined;
      return;
    }
    const count = data.byteLength >= 9 ? new DataView(event.data).getFloat64(1) : 0;
    if (data[0] === RawOp.download) void sendBytes(channel, count, PATTERN, policy).catch(fail);
    else if (data[0] === RawOp.echo) channel.send(data);
    else if (data[0] === RawOp.upload) uploadLeft = count;
    else if (data[0] === RawOp.credit) credit?.add(count);
    else if (data[0] === RawOp.windowedDownload) {
      credit = new RawCredit(new DataView(event.data).getFloat64(9));
      void sendBytesWindowed(channel, count, PATTERN, policy, credit).catch(fail);
    } else if (!sources) fail(new Error(`command ${data[0]} needs the connection's sources`));
    else if (data[0] === RawOp.upstreamDownload)
      void proxyDownload(channel, `${sources.upstreamUrl}/bytes?n=${count}`, policy).catch(fail);
    else if (data[0] === RawOp.fileDownload) {
      if (!sources.mediaPath) fail(new Error('fileDownload needs a mediaPath in the sources'));
      else void sendFile(channel, sources.mediaPath, count, policy).catch(fail);
    } else if (data[0] === RawOp.upstreamUpload) {
      uploadLeft = count;
      upload = proxyUpload(`${sources.upstreamUrl}/upload`, count);
      // The upstream answers once it has the whole body; a failure on the way is reported now.
      void upload.done.then(() => channel.send(new Uint8Array([RawOp.uploaded]))).catch(fail);
    } else if (data[0] === RawOp.upstreamEcho)
      void fetchSmall(`${sources.upstreamUrl}/small?i=${count}`)
        .then((body) => channel.send(body))
        .catch(fail);
    else fail(new Error(`unknown raw command ${data[0]}`));
  });
}

/** Echoes every message on the connection's negotiated second channel (lanes.ts). */
function echoOnSecondChannel(connection: DataConnection) {
  const pc = connection.peerConnection as unknown as RTCPeerConnection;
  const channel = pc.createDataChannel(SECOND_CHANNEL.label, {
    negotiated: true,
    id: SECOND_CHANNEL.id,
  });
  channel.binaryType = 'arraybuffer';
  channel.addEventListener('message', (event) => channel.send(event.data as ArrayBuffer));
}

/** PeerJS `binary` serialization: each message asks for a byte count, sent as chunks. */
async function serveBinary(connection: DataConnection, bytes: number, policy: SendPolicy) {
  const channel = connection.dataChannel as unknown as DataChannelLike;
  const chunk = PATTERN.slice(0, policy.frameSize);
  for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
    // PeerJS queues in its own buffer too when the channel is busy; count both.
    while (
      channel.bufferedAmount +
        (connection as unknown as { bufferSize: number }).bufferSize * chunk.byteLength >
      policy.highWaterMark
    )
      await waitForDrain(channel, policy);
    connection.send(chunk.byteLength <= bytes - sent ? chunk : chunk.slice(0, bytes - sent));
  }
}

/**
 * The bench's own endpoints, and the edge's handlers under `/up` and `/edge` (see
 * PeerRequest); the device API keeps its state in `stateDir`.
 */
function withEdgeHandlers(
  handlers: NonNullable<PeerRequest['edgeHandlers']>,
  stateDir: string,
): RequestHandler {
  const router = createRouter([
    {
      prefix: '/up',
      handler: createUpstreamHandler({
        baseUrl: handlers.upstreamUrl,
        label: '/up',
        timeoutMs: 30_000,
        maxBodyBytes: 2 ** 30,
      }),
    },
    {
      prefix: '/edge',
      handler: createDeviceApi({
        stateDir,
        version: 'bench',
        mediaDir: handlers.mediaDir,
      }),
    },
  ]);
  return (request) => {
    const { pathname } = new URL(request.url);
    return pathname.startsWith('/up/') || pathname.startsWith('/edge/')
      ? router(request)
      : handle(request);
  };
}

function servePeerFetch(
  connection: DataConnection,
  channel: DataChannelLike,
  request: PeerRequest,
) {
  const pc = connection.peerConnection as unknown as { sctp?: { maxMessageSize?: number } };
  const session = openSession(channel, {
    role: 'server',
    maxMessageSize: pc.sctp?.maxMessageSize ?? 65536,
    ...request.session,
  });
  let handler: RequestHandler = handle;
  if (request.edgeHandlers) {
    const stateDir = mkdtempSync(join(tmpdir(), 'pf-bench-peer-'));
    handler = withEdgeHandlers(request.edgeHandlers, stateDir);
    connection.on('close', () => rmSync(stateDir, { recursive: true, force: true }));
  }
  serveRequests(session, handler, { maxConcurrentRequests: 64 });
  connection.on('close', () => session.close());
}

const peer = signalingUrl
  ? await createBoxPeer(signalingUrl, id)
  : (await createNodePeer({ port: Number(port), id })).peer;
peer.on('connection', (connection) => {
  const request = connection.metadata as PeerRequest;
  if (request.mode === 'binary') {
    connection.on('data', (data) => {
      void serveBinary(connection, Number(data), request.policy!).catch(() => connection.close());
    });
    return;
  }
  // Hold the channel's messages from the moment it exists (wrtc may deliver before 'open').
  const pc = connection.peerConnection as unknown as EventTarget;
  pc.addEventListener('datachannel', (event) => {
    const held = holdMessages((event as unknown as { channel: DataChannelLike }).channel);
    connection.on('open', () => {
      if (request.mode === 'peerfetch') servePeerFetch(connection, held, request);
      else serveRaw(connection, held, request);
      if (request.secondChannel) echoOnSecondChannel(connection);
      held.release();
    });
  });
});
process.on('SIGTERM', () => {
  peer.destroy();
  process.exit(0);
});
console.log('ready');
