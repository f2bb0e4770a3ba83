import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { MAX_SIGNALING_MESSAGE_BYTES, OVERSIZE_MESSAGE, QuietWebSocket } from './index.js';

const servers: WebSocketServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

it('hands PeerJS a marker instead of a message too large to parse', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const small = JSON.stringify({ type: 'OPEN' });
  const huge = JSON.stringify({ type: 'CANDIDATE', pad: 'x'.repeat(MAX_SIGNALING_MESSAGE_BYTES) });
  server.on('connection', (socket) => {
    socket.send(small);
    socket.send(huge);
  });
  const client = new QuietWebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: unknown[] = [];
  await new Promise<void>((resolve) => {
    client.onmessage = (event) => {
      received.push(event.data);
      if (received.length === 2) resolve();
    };
  });
  expect(received).toEqual([small, OVERSIZE_MESSAGE]);
  // PeerJS detaches its handler on close; nothing is delivered after that.
  client.onmessage = null;
  expect(client.listenerCount('message')).toBe(0);
  client.close();
});
