/**
 * WebSockets through the tunnel (PROTOCOL.md §12), end to end: real signaling server, the
 * built edge process, real wrtc, a paired Node client in this process, and a `ws` upstream.
 */
import type { PeerCloseEvent, PeerWebSocket } from '@peerfetch/shared';
import { sleep } from '@peerfetch/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type ClientSession, connectPaired, pairClient } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { startWsUpstream, type WsUpstream } from '../helpers/ws-upstream.js';

const MiB = 1024 * 1024;
/** The edge's message limit here: above the 10 MiB message, below 13 MiB. */
const MESSAGE_LIMIT = 12 * MiB;
let signaling: StartedSignaling;
let upstream: WsUpstream;
let edge: StartedEdge;
let client: ClientSession;

beforeAll(async () => {
  signaling = await startSignaling();
  upstream = await startWsUpstream();
  edge = await startEdge({
    signalingUrl: signaling.url,
    routes: { '/ws': upstream.url },
    configYaml: `limits:\n  webSocketMessageBytes: ${MESSAGE_LIMIT}\n`,
  });
  client = await connectPaired(signaling.port, edge, await pairClient(signaling.port, edge));
});

afterAll(async () => {
  await client?.close();
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await upstream?.stop();
  await signaling?.stop();
});

function open(path: string, options?: Parameters<ClientSession['session']['openWebSocket']>[1]) {
  const socket = client.session.openWebSocket(path, options);
  socket.binaryType = 'arraybuffer';
  return socket;
}

function next<E extends Event = MessageEvent>(socket: PeerWebSocket, type: string): Promise<E> {
  return new Promise((resolve) =>
    socket.addEventListener(type, (e) => resolve(e as E), { once: true }),
  );
}

async function opened(socket: PeerWebSocket): Promise<void> {
  const result = await Promise.race([next(socket, 'open'), next<PeerCloseEvent>(socket, 'close')]);
  if (result.type === 'close')
    throw new Error(`did not open: ${(result as PeerCloseEvent).reason}`);
}

/** Every message until the socket closes, and the close. */
function collect(socket: PeerWebSocket) {
  const messages: (string | ArrayBuffer)[] = [];
  socket.addEventListener('message', (e) => messages.push((e as MessageEvent).data));
  return { messages, closed: next<PeerCloseEvent>(socket, 'close') };
}

describe('WebSockets through the edge', () => {
  it('echoes text and binary both ways, with the subprotocol, cookies and a rewritten origin', async () => {
    const socket = open('/ws/echo', {
      protocols: ['chat', 'superchat'],
      headers: [
        ['cookie', 'session=abc'],
        ['origin', 'https://phone.example'],
      ],
    });
    await opened(socket);
    expect(socket.protocol).toBe('superchat');
    const seen = upstream.upgrades.at(-1)!;
    expect(seen.cookie).toBe('session=abc');
    expect(seen.origin).toBe(new URL(upstream.url).origin);
    const { messages, closed } = collect(socket);
    for (let i = 0; i < 200; i++) {
      if (i % 2) socket.send(`text ${i}`);
      else socket.send(new Uint8Array(1 + ((i * 7919) % 70_000)).fill(i % 256));
    }
    while (messages.length < 200) await sleep(20);
    messages.forEach((m, i) => {
      if (i % 2) expect(m).toBe(`text ${i}`);
      else expect(new Uint8Array(m as ArrayBuffer)).toHaveLength(1 + ((i * 7919) % 70_000));
    });
    socket.close(1000);
    expect((await closed).code).toBe(1000);
  });

  it('carries a 10 MiB binary message each way', async () => {
    const socket = open('/ws/echo');
    await opened(socket);
    const big = new Uint8Array(10 * MiB);
    for (let i = 0; i < big.byteLength; i += 4096) big[i] = (i / 4096) % 256;
    socket.send(big);
    const echoed = new Uint8Array((await next(socket, 'message')).data as ArrayBuffer);
    expect(echoed.byteLength).toBe(big.byteLength);
    expect(Buffer.compare(echoed, big)).toBe(0);
    socket.close(1000);
  });

  it('closes with 1009 on a message over the edge limit, either way', async () => {
    const fromClient = open('/ws/echo');
    await opened(fromClient);
    const before = upstream.closes.length;
    const closing = next<PeerCloseEvent>(fromClient, 'close');
    fromClient.send(new Uint8Array(MESSAGE_LIMIT + 1));
    expect((await closing).code).toBe(1009);
    await until(() => upstream.closes.length > before);
    expect(upstream.closes.at(-1)!.code).toBe(1009);

    const fromUpstream = open('/ws/big?mib=13');
    const closed = next<PeerCloseEvent>(fromUpstream, 'close');
    await opened(fromUpstream);
    expect((await closed).code).toBe(1009);
  });

  it('pings through to the upstream and hears its pong', async () => {
    const socket = open('/ws/echo');
    await opened(socket);
    socket.ping(new Uint8Array([1, 2, 3]));
    const pong = await next(socket, 'pong');
    expect([...new Uint8Array(pong.data as ArrayBuffer)]).toEqual([1, 2, 3]);
    socket.close(1000);
  });

  it('carries close codes and reasons both ways', async () => {
    const fromClient = open('/ws/echo');
    await opened(fromClient);
    const before = upstream.closes.length;
    fromClient.close(4000, 'client leaves');
    const echoedClose = await next<PeerCloseEvent>(fromClient, 'close');
    expect([echoedClose.code, echoedClose.reason, echoedClose.wasClean]).toEqual([
      4000,
      'client leaves',
      true,
    ]);
    await until(() => upstream.closes.length > before);
    expect(upstream.closes.at(-1)).toEqual({ code: 4000, reason: 'client leaves' });

    const fromServer = open('/ws/echo');
    await opened(fromServer);
    const closing = next<PeerCloseEvent>(fromServer, 'close');
    fromServer.send('close 4001 server leaves');
    const close = await closing;
    expect([close.code, close.reason, close.wasClean]).toEqual([4001, 'server leaves', true]);
  });

  it("fails the open with the upstream's status when it refuses", async () => {
    const socket = open('/ws/forbidden');
    const close = await next<PeerCloseEvent>(socket, 'close');
    expect(socket.refusedStatus).toBe(403);
    expect([close.code, close.wasClean]).toEqual([1006, false]);
  });

  it('ends the socket when the upstream dies mid-stream', async () => {
    const socket = open('/ws/die');
    await opened(socket);
    const closing = next<PeerCloseEvent>(socket, 'close');
    socket.send('goodbye');
    const close = await closing;
    expect([close.code, close.wasClean]).toEqual([1006, false]);
    // The session carries on.
    const again = open('/ws/echo');
    await opened(again);
    again.close(1000);
  });

  it('a slow reader stalls the upstream: edge memory stays bounded, nothing is lost', async () => {
    const total = 48 * MiB;
    const rssBefore = await edge.rssBytes();
    const socket = open(`/ws/flood?mib=${total / MiB}`);
    socket.pause();
    await opened(socket);
    let received = 0;
    socket.addEventListener('message', (e) => {
      received += ((e as MessageEvent).data as ArrayBuffer).byteLength;
    });
    const closed = next<PeerCloseEvent>(socket, 'close');
    await sleep(3000);
    const sentWhilePaused = upstream.floodSent();
    const rssPaused = await edge.rssBytes();
    console.log(
      `slow reader: upstream sent ${(sentWhilePaused / MiB).toFixed(1)} MiB of ${total / MiB} while paused; edge RSS ${(rssBefore / MiB).toFixed(0)} → ${(rssPaused / MiB).toFixed(0)} MiB`,
    );
    expect(sentWhilePaused).toBeLessThan(total / 2);
    expect(rssPaused - rssBefore).toBeLessThan(32 * MiB);
    socket.resume();
    const close = await closed;
    expect(received).toBe(total);
    expect([close.code, close.reason]).toEqual([1000, 'flood done']);
  });

  it('holds many sockets at once and refuses one over the limit with 429', async () => {
    const sockets = Array.from({ length: 16 }, () => open('/ws/echo'));
    await Promise.all(sockets.map(opened));
    const extra = open('/ws/echo');
    await next(extra, 'close');
    expect(extra.refusedStatus).toBe(429);
    const replies = sockets.map((socket) => {
      const { messages } = collect(socket);
      for (let i = 0; i < 50; i++) socket.send(`m${i}`);
      return messages;
    });
    await until(() => replies.every((m) => m.length === 50));
    for (const messages of replies)
      expect(messages).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    await Promise.all(
      sockets.map((socket) => {
        const closing = next(socket, 'close');
        socket.close(1000);
        return closing;
      }),
    );
    await until(() => upstream.openSockets() === 0);
  });

  it('an old client without the extension keeps working and is sent no WebSocket frame', async () => {
    const paired = await pairClient(signaling.port, edge);
    const old = await connectPaired(signaling.port, edge, paired, {
      sessionOptions: { webSocket: false },
    });
    try {
      expect(old.session.webSocketAvailable).toBe(false);
      expect(() => old.session.openWebSocket('/ws/echo')).toThrow(/does not speak/);
      const response = await old.fetch('/ws/echo');
      // Plain HTTP to a WebSocket-only path: the upstream's own answer, through the tunnel.
      expect(response.status).toBe(426);
      await response.body?.cancel();
      expect(old.session.isClosed).toBe(false);
    } finally {
      await old.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
