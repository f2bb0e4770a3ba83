/**
 * Rate limits (rooms, ICE, new WebSockets), bounded bodies and WebSocket payloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createNodePeer, type OpenNodePeer, randomPeerId } from '../helpers/peerjs-node.js';
import {
  httpRequest,
  type StartedSignaling,
  startSignaling,
  TEST_PEER_KEY,
} from '../helpers/signaling.js';

let server: StartedSignaling;
let peer: OpenNodePeer;

beforeAll(async () => {
  server = await startSignaling({ ROOMS_RATE_LIMIT: '5', ICE_RATE_LIMIT: '3', WS_RATE_LIMIT: '4' });
  // The peer's own WebSocket comes from 127.0.0.1; the limits below use other addresses.
  peer = await createNodePeer({ port: server.port });
});
afterAll(async () => {
  peer.peer.destroy();
  await server.stop();
});

const membersUrl = () => `${server.url}/rooms/members?id=${peer.id}&token=${peer.token}`;

describe('rate limits per client address', () => {
  it('answers 429 problem+json on /rooms past the limit, per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push((await httpRequest(membersUrl(), { localAddress: '127.0.7.1' })).status);
    expect(statuses.slice(0, 5).every((status) => status === 404)).toBe(true);
    const limited = await httpRequest(membersUrl(), { localAddress: '127.0.7.1' });
    expect(statuses[5]).toBe(429);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.json).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Another address is not affected.
    expect((await httpRequest(membersUrl(), { localAddress: '127.0.7.2' })).status).toBe(404);
  });

  it('limits /ice separately', async () => {
    const url = `${server.url}/ice?id=${peer.id}&token=${peer.token}`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1)
      statuses.push((await httpRequest(url, { localAddress: '127.0.7.3' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('limits new WebSocket connections', async () => {
    const outcomes: (number | 'open')[] = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(await openSocket('127.0.7.4'));
    expect(outcomes).toEqual(['open', 'open', 'open', 'open', 429]);
    expect(await openSocket('127.0.7.5')).toBe('open');
  });

  it('counts rejections in /metrics', async () => {
    const metrics = await httpRequest(`${server.url}/metrics`);
    expect(metrics.text).toMatch(
      /peerfetch_signaling_rejections_total\{reason="rate_limited"\} [2-9]/,
    );
    expect(metrics.text).toMatch(
      /peerfetch_signaling_rejections_total\{reason="ws_rate_limited"\} 1/,
    );
  });
});

describe('bounded inputs', () => {
  it('refuses a JSON body over 4 KiB with 413', async () => {
    const result = await httpRequest(`${server.url}/rooms/join`, {
      body: { id: peer.id, token: peer.token, role: 'app', name: 'x'.repeat(5000) },
      localAddress: '127.0.8.1',
    });
    expect(result.status).toBe(413);
    expect(result.json).toMatchObject({ status: 413, detail: 'request body is too large' });
  });

  it('closes a WebSocket that sends a message over 64 KiB', async () => {
    const socket = new WebSocket(socketUrl(randomPeerId()), { localAddress: '127.0.8.2' });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'OFFER', dst: 'someone', payload: 'x'.repeat(70 * 1024) }));
    expect(await closed).toBe(1009);
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const result = await httpRequest(`${server.url}/rooms/nothing`, { localAddress: '127.0.8.3' });
    expect(result.status).toBe(404);
    expect(result.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

function socketUrl(id: string): string {
  return `ws://127.0.0.1:${server.port}/peerjs/peerjs?key=${TEST_PEER_KEY}&id=${id}&token=t${id}`;
}

/** Opens a PeerJS-protocol WebSocket; resolves 'open' (then closes it) or the refusal status. */
function openSocket(localAddress: string): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(socketUrl(randomPeerId()), { localAddress });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}
