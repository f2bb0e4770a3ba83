import {
  connectInMemory,
  FakeChannel,
  type InMemoryConnection,
  rawFrames,
  sleep,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { problemResponse } from '../problem.js';
import { serveRequests } from '../server/serve-requests.js';
import { webSocketUpgradeOf } from '../server/websocket-upgrade.js';
import { decodeHello } from '../wire/control.js';
import { encodeFrame, encodeUint32 } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import { encodeRequestHead } from '../wire/heads.js';
import { WsOpcode } from '../wire/ws-records.js';
import {
  type PeerCloseEvent,
  type PeerWebSocket,
  WebSocketUnsupportedError,
} from './peer-websocket.js';
import { openSession } from './session.js';

let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** A server that echoes every message, closes on "bye" with 4001, and refuses /private 403. */
function echoServer(): InMemoryConnection {
  return connectInMemory(async (request) => {
    const upgrade = webSocketUpgradeOf(request);
    if (!upgrade) return new Response('plain http');
    if (new URL(request.url).pathname === '/private') return problemResponse(403, 'no');
    const socket = upgrade.accept(
      { protocol: upgrade.protocols[1] ?? '' },
      {
        onMessage: ({ opcode, payload }) => {
          if (new TextDecoder().decode(payload) === 'bye') socket.close(4001, 'asked to leave');
          else if (opcode === WsOpcode.Ping) socket.send(WsOpcode.Pong, payload);
          else socket.send(opcode, payload);
        },
        onPeerClose: (code, reason) => socket.close(code, `echo ${reason}`),
        onBroken: () => {},
      },
    );
    return new Response(null, { status: 204 });
  });
}

function next(socket: PeerWebSocket, type: string): Promise<Event> {
  return new Promise((resolve) => socket.addEventListener(type, resolve, { once: true }));
}

describe('WebSockets over a session', () => {
  it('opens with a subprotocol, echoes text, binary and ping, and carries close codes', async () => {
    connection = echoServer();
    await connection.clientSession.ready;
    const socket = connection.clientSession.openWebSocket('/echo', { protocols: ['a', 'b'] });
    socket.binaryType = 'arraybuffer';
    await next(socket, 'open');
    expect(socket.protocol).toBe('b');
    socket.send('hello');
    expect(((await next(socket, 'message')) as MessageEvent).data).toBe('hello');
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    socket.send(bytes);
    const echoed = new Uint8Array(((await next(socket, 'message')) as MessageEvent).data);
    // Compared by hand: toEqual on megabytes takes seconds.
    expect(echoed.byteLength).toBe(bytes.byteLength);
    expect(echoed.every((b, i) => b === bytes[i])).toBe(true);
    socket.ping(new Uint8Array([7]));
    expect(new Uint8Array(((await next(socket, 'pong')) as MessageEvent).data)).toEqual(
      new Uint8Array([7]),
    );
    socket.close(4000, 'done');
    const closed = (await next(socket, 'close')) as PeerCloseEvent;
    expect([closed.code, closed.reason, closed.wasClean]).toEqual([4000, 'echo done', true]);
    expect(socket.readyState).toBe(socket.CLOSED);
  });

  it('hears a close the server starts', async () => {
    connection = echoServer();
    await connection.clientSession.ready;
    const socket = connection.clientSession.openWebSocket('/echo');
    await next(socket, 'open');
    socket.send('bye');
    const closed = (await next(socket, 'close')) as PeerCloseEvent;
    expect([closed.code, closed.reason, closed.wasClean]).toEqual([4001, 'asked to leave', true]);
  });

  it('fails the open with the status of a refusal', async () => {
    connection = echoServer();
    await connection.clientSession.ready;
    const socket = connection.clientSession.openWebSocket('/private');
    const error = next(socket, 'error');
    const closed = (await next(socket, 'close')) as PeerCloseEvent;
    await error;
    expect(socket.refusedStatus).toBe(403);
    expect([closed.code, closed.wasClean]).toEqual([1006, false]);
    // The session goes on serving.
    expect(await (await connection.client.fetch('/x')).text()).toBe('plain http');
  });

  it('closes with 1009 on a message over the limit, and the session goes on', async () => {
    connection = echoServer();
    await connection.clientSession.ready;
    const socket = connection.clientSession.openWebSocket('/echo', { maxMessageBytes: 1024 });
    await next(socket, 'open');
    socket.send(new Uint8Array(2048));
    const closed = (await next(socket, 'close')) as PeerCloseEvent;
    expect(closed.code).toBe(1009);
    expect(await (await connection.client.fetch('/x')).text()).toBe('plain http');
  });

  it('ends the socket with 1006 when the session ends', async () => {
    connection = echoServer();
    await connection.clientSession.ready;
    const socket = connection.clientSession.openWebSocket('/echo');
    await next(socket, 'open');
    const closing = next(socket, 'close');
    connection.serverSession.close();
    expect(((await closing) as PeerCloseEvent).code).toBe(1006);
  });

  it('a peer without the extension is never sent a WEBSOCKET frame', async () => {
    connection = connectInMemory(async () => new Response('old'), {
      server: { webSocket: false },
    });
    await connection.clientSession.ready;
    expect(connection.clientSession.webSocketAvailable).toBe(false);
    expect(() => connection!.clientSession.openWebSocket('/echo')).toThrow(
      WebSocketUnsupportedError,
    );
    expect(await (await connection.client.fetch('/x')).text()).toBe('old');
    await sleep(10);
    expect(connection.serverSession.isClosed).toBe(false);
  });

  it('a server announces the extension, and refuses WEBSOCKET from a peer that did not', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, { role: 'server', maxMessageSize: 256 * 1024 });
    serveRequests(session, async () => new Response('never'));
    channel.inject(rawFrames.hello().buffer);
    const ours = channel.sentFrames().find((frame) => frame.type === FrameType.Hello)!;
    expect(decodeHello(ours.payload).websocket).toBe(1);
    const head = encodeRequestHead({ method: 'GET', path: '/echo', headers: [] });
    channel.inject(
      encodeFrame(FrameType.WebSocket, 0, 1, encodeUint32(head.byteLength), head).buffer,
    );
    const reason = await session.closed;
    expect(reason).toBeInstanceOf(ProtocolError);
    expect((reason as ProtocolError).code).toBe('unexpected-frame');
  });
});
