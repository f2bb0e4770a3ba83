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

  it('holds a socket paused while a gate answers later, then announces or drops it', async () => {
    const verdicts = new Map<string, boolean>([
      ['/later-yes', true],
      ['/later-no', false],
    ]);
    const server = new GatedWebSocketServer({ noServer: true }, async (_socket, req) =>
      Promise.resolve(verdicts.get(req.url ?? '') ?? false),
    );
    const announced: string[] = [];
    server.on('connection', (_socket: WebSocket, req: IncomingMessage) => {
      announced.push(req.url ?? '');
    });
    const calls: string[] = [];
    const fakeSocket = () =>
      ({
        OPEN: 1,
        readyState: 1,
        pause: () => calls.push('pause'),
        resume: () => calls.push('resume'),
      }) as unknown as WebSocket;
    server.emit('connection', fakeSocket(), { url: '/later-yes' });
    server.emit('connection', fakeSocket(), { url: '/later-no' });
    expect(announced).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(announced).toEqual(['/later-yes']);
    expect(calls).toEqual(['pause', 'pause', 'resume', 'resume']);
    server.close();
  });
});
