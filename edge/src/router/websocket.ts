/**
 * A route's WebSocket (PROTOCOL.md §12): opens the upstream's WebSocket at the same mapping
 * as HTTP (http→ws, https→wss) with the `ws` library and carries messages both ways.
 * A refusal is passed on as the upstream's answer; closes carry their code and reason; a
 * slow side stalls the other (pause/resume), so nothing is buffered without bound.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import {
  problemResponse,
  type ServerWebSocket,
  type WebSocketUpgrade,
  WsOpcode,
  type WsRecord,
  webSocketUpgradeOf,
} from '@peerfetch/shared';
import WebSocket from 'ws';
import { endToEndHeaders, headersOf } from './headers.js';
import { rewriteHeaders } from './rewrite.js';
import type { RouteHandler } from './router.js';
import { upstreamUrl } from './upstream.js';

export interface WebSocketRouteOptions {
  baseUrl: string;
  /** Route prefix, for problem details and for mapping cookies and redirects. */
  prefix: string;
  /** How long the upstream may take to answer the upgrade, in ms. */
  timeoutMs: number;
  /** Largest message either way; larger closes with 1009. */
  maxMessageBytes: number;
}

/** Bytes handed to the upstream socket and not yet written before we stop reading the client. */
const UPSTREAM_HIGH_WATER = 1024 * 1024;
/** An upstream refusal's body is passed on up to this size. */
const MAX_REFUSAL_BODY = 64 * 1024;
/** Headers the ws library sets itself for the upgrade. */
const OWN_HEADERS = [
  'host',
  'sec-websocket-protocol',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
];

/** True when the request came on a WEBSOCKET ticket. */
export function isWebSocketRequest(request: Request): boolean {
  return webSocketUpgradeOf(request) !== undefined;
}

export function createWebSocketHandler(options: WebSocketRouteOptions): RouteHandler {
  const upstreamBase = upstreamUrl(options.baseUrl, '/');
  return (request, rest) => {
    const upgrade = webSocketUpgradeOf(request)!;
    const url = upstreamUrl(options.baseUrl, rest);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const headers = endToEndHeaders(request.headers, OWN_HEADERS);
    // The upstream sees itself addressed: Origin checks (Node-RED, Home Assistant) pass.
    if (headers.has('origin')) headers.set('origin', upstreamBase.origin);
    const socket = new WebSocket(url, [...upgrade.protocols], {
      headers: Object.fromEntries(headers),
      maxPayload: options.maxMessageBytes,
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
    });
    return new Promise<Response>((resolve) => {
      const onAbort = () => socket.terminate();
      upgrade.signal.addEventListener('abort', onAbort);
      socket.once('unexpected-response', (_req, res) => {
        upgrade.signal.removeEventListener('abort', onAbort);
        const mount = {
          prefix: options.prefix,
          upstream: upstreamBase.origin + upstreamBase.pathname.replace(/\/+$/, ''),
        };
        resolve(refusal(res, rewriteHeaders(endToEndHeaders(headersOf(res)), url, mount)));
        res.on('close', () => socket.terminate());
      });
      socket.once('error', (error) => {
        upgrade.signal.removeEventListener('abort', onAbort);
        resolve(
          problemResponse(502, `upstream ${options.prefix} WebSocket failed: ${error.message}`),
        );
      });
      socket.once('open', () => {
        upgrade.signal.removeEventListener('abort', onAbort);
        socket.removeAllListeners('error');
        bridge(socket, upgrade, options.maxMessageBytes);
        resolve(new Response(null, { status: 204 }));
      });
    });
  };
}

/** The upstream's refusal as the client's answer: its status, headers and (capped) body. */
function refusal(res: IncomingMessage, headers: Headers): Response {
  const status = res.statusCode ?? 502;
  if (status < 200 || status > 599) {
    res.resume();
    return problemResponse(502, `the upstream answered the WebSocket upgrade with ${status}`);
  }
  let taken = 0;
  const capped = Readable.from(
    (async function* () {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (taken >= MAX_REFUSAL_BODY) break;
        taken += chunk.byteLength;
        yield chunk;
      }
    })(),
  );
  headers.delete('content-length');
  const body =
    status === 204 || status === 304
      ? null
      : (Readable.toWeb(capped) as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

/** Carries messages both ways between the client's ticket and the upstream socket. */
function bridge(socket: WebSocket, upgrade: WebSocketUpgrade, maxMessageBytes: number): void {
  let unwritten = 0;
  let client: ServerWebSocket | undefined;
  const written = (bytes: number) => () => {
    unwritten -= bytes;
    if (unwritten <= UPSTREAM_HIGH_WATER / 4) client?.resume();
  };
  client = upgrade.accept(
    { protocol: socket.protocol, maxMessageBytes },
    {
      onMessage: (record: WsRecord) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        const data = Buffer.from(
          record.payload.buffer,
          record.payload.byteOffset,
          record.payload.byteLength,
        );
        if (record.opcode === WsOpcode.Ping) socket.ping(data);
        else if (record.opcode === WsOpcode.Pong) socket.pong(data);
        else {
          unwritten += data.byteLength;
          socket.send(
            data,
            { binary: record.opcode === WsOpcode.Binary },
            written(data.byteLength),
          );
          if (unwritten > UPSTREAM_HIGH_WATER) client?.pause();
        }
      },
      onPeerClose: (code, reason) => {
        if (socket.readyState === WebSocket.OPEN) {
          if (code === 1005) socket.close();
          else socket.close(code, reason);
        }
      },
      // 1009 or 1002: the client sent what we refuse; the upstream hears why.
      onBroken: (code, reason) => {
        if (code === 1006 || socket.readyState !== WebSocket.OPEN) socket.terminate();
        else socket.close(code, reason.slice(0, 100));
      },
      // The session took our queue down: take messages from the upstream again.
      onDrain: () => socket.resume(),
    },
  );
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    client?.send(isBinary ? WsOpcode.Binary : WsOpcode.Text, data);
    if (client?.full) socket.pause();
  });
  socket.on('pong', (data: Buffer) => client?.send(WsOpcode.Pong, data));
  socket.on('close', (code: number, reason: Buffer) => {
    if (client?.closeSent) return; // Our close record is on its way; let it arrive.
    // 1005 and 1006 are never sent on the wire: they go as "no code" and an abrupt end.
    if (code === 1006) client?.abort(new Error('the upstream WebSocket ended abruptly'));
    else client?.close(code === 1005 ? undefined : code, reason.toString());
  });
  socket.on('error', (error: Error & { code?: string }) => {
    // An upstream message over the limit: the client hears 1009, as the upstream does.
    // Otherwise the close event that follows ends the client's side.
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') client?.close(1009, 'message too big');
  });
}
