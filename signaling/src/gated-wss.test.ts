import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { GatedWebSocketServer } from './gated-wss.js';

describe('GatedWebSocketServer', () => {
  it('announces only the connections its gate lets through', () => {
    const asked: string[] = [];
    const server = new GatedWebSocketServer({ noServer: true }, (_socket, req) => {
      asked.push(req.url ?? '');
      return req.url === '/yes';
    });
    const announced: string[] = [];
    server.on('connection', (_socket: WebSocket, req: IncomingMessage) => {
      announced.push(req.url ?? '');
    });
    const socket = {} as WebSocket;
    expect(server.emit('connection', socket, { url: '/no' })).toBe(false);
    expect(server.emit('connection', socket, { url: '/yes' })).toBe(true);
    expect(asked).toEqual(['/no', '/yes']);
    expect(announced).toEqual(['/yes']);
    // Other events pass untouched.
    let errors = 0;
    server.on('error', () => {
      errors += 1;
    });
    server.emit('error', new Error('x'));
    expect(errors).toBe(1);
    server.close();
  });
});
