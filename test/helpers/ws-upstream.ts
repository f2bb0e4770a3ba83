/**
 * A WebSocket upstream for the tunnel tests, in the test's process, on a free loopback port.
 * By path:
 * - `/echo`: echoes every message; the text `close CODE REASON` makes it close with that
 *   code; it picks the last subprotocol offered.
 * - `/forbidden`: refuses the upgrade with 403.
 * - `/die`: kills its TCP connection (no close frame) on the first message.
 * - `/big?mib=N`: sends one binary message of N MiB.
 * - `/flood?mib=N`: sends N MiB in 64 KiB binary messages as fast as its socket takes them
 *   (waiting whenever more than 1 MiB is unwritten), then closes with 1000.
 * It records what it saw: the upgrade's headers, and the close code each client sent.
 */
import type { IncomingMessage } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

export interface WsUpstream {
  url: string;
  /** Headers of each accepted upgrade, in order. */
  upgrades: IncomingMessage['headers'][];
  /** Close codes and reasons received from clients, in order. */
  closes: { code: number; reason: string }[];
  /** Bytes `/flood` has handed to its sockets so far. */
  floodSent(): number;
  /** Sockets open now. */
  openSockets(): number;
  stop(): Promise<void>;
}

const FLOOD_MESSAGE = 64 * 1024;
const FLOOD_HIGH_WATER = 1024 * 1024;

export async function startWsUpstream(): Promise<WsUpstream> {
  const upgrades: IncomingMessage['headers'][] = [];
  const closes: { code: number; reason: string }[] = [];
  let floodSent = 0;
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (protocols) => [...protocols].at(-1) ?? false,
    verifyClient: ({ req }, done) => {
      if (req.url?.startsWith('/forbidden')) done(false, 403, 'Forbidden');
      else done(true);
    },
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket, request) => {
    upgrades.push(request.headers);
    socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    const url = new URL(request.url ?? '/', 'http://upstream');
    if (url.pathname === '/echo') echo(socket);
    else if (url.pathname === '/die') socket.once('message', () => socket.terminate());
    else if (url.pathname === '/big')
      socket.send(Buffer.alloc(Number(url.searchParams.get('mib') ?? 1) * 1024 * 1024, 1));
    else if (url.pathname === '/flood')
      void flood(socket, Number(url.searchParams.get('mib') ?? 1), (n) => {
        floodSent += n;
      });
    else socket.close(4404, 'no such path');
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    upgrades,
    closes,
    floodSent: () => floodSent,
    openSockets: () => server.clients.size,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

function echo(socket: WebSocket): void {
  socket.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    const match = /^close (\d+) ?(.*)$/.exec(text);
    if (match) socket.close(Number(match[1]), match[2]);
    else socket.send(data, { binary: isBinary });
  });
}

async function flood(socket: WebSocket, mib: number, sent: (bytes: number) => void) {
  const chunk = Buffer.alloc(FLOOD_MESSAGE, 7);
  const total = mib * 1024 * 1024;
  for (let done = 0; done < total && socket.readyState === socket.OPEN; done += FLOOD_MESSAGE) {
    while (socket.bufferedAmount > FLOOD_HIGH_WATER && socket.readyState === socket.OPEN)
      await new Promise((r) => setTimeout(r, 5));
    socket.send(chunk);
    sent(FLOOD_MESSAGE);
  }
  if (socket.readyState === socket.OPEN) socket.close(1000, 'flood done');
}
