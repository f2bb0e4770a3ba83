/**
 * Rooms over real HTTP with real PeerJS clients: grouping by network, trusted proxies,
 * authentication, membership ending with the socket, room size.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePeer, type OpenNodePeer } from '../helpers/peerjs-node.js';
import {
  httpRequest,
  type StartedSignaling,
  startSignaling,
  TEST_ROOM_SECRET,
} from '../helpers/signaling.js';

interface Listing {
  room: string;
  members: { id: string; role: string; name: string; joinedAt: string }[];
}

const openPeers: OpenNodePeer[] = [];

async function peerOn(server: StartedSignaling): Promise<OpenNodePeer> {
  const peer = await createNodePeer({ port: server.port });
  openPeers.push(peer);
  return peer;
}

async function join(
  server: StartedSignaling,
  peer: OpenNodePeer,
  from: { localAddress?: string; forwardedFor?: string } = {},
  extra: Record<string, unknown> = {},
) {
  return httpRequest(`${server.url}/rooms/join`, {
    body: { id: peer.id, token: peer.token, role: 'app', name: `peer ${peer.id}`, ...extra },
    localAddress: from.localAddress,
    headers: from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {},
  });
}

async function roomOf(
  server: StartedSignaling,
  peer: OpenNodePeer,
  from: Parameters<typeof join>[2] = {},
) {
  const result = await join(server, peer, from);
  expect(result.status, result.text).toBe(200);
  return (result.json as Listing).room;
}

const expectedRoom = (key: string) =>
  createHmac('sha256', TEST_ROOM_SECRET).update(key).digest('base64url');

afterAll(() => {
  for (const { peer } of openPeers) peer.destroy();
});

describe('rooms without a trusted proxy', () => {
  let server: StartedSignaling;
  beforeAll(async () => {
    server = await startSignaling({ MAX_ROOM_SIZE: '3' });
  });
  afterAll(() => server.stop());

  it('puts peers on the same address in the same room, and lists them', async () => {
    const a = await peerOn(server);
    const b = await peerOn(server);
    const first = await join(
      server,
      a,
      { localAddress: '127.0.1.1' },
      { role: 'edge', name: '  Kitchen Pi ' },
    );
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      room: expectedRoom('127.0.1.1'),
      members: [{ id: a.id, role: 'edge', name: 'Kitchen Pi', joinedAt: expect.any(String) }],
    });
    const second = await join(server, b, { localAddress: '127.0.1.1' });
    expect((second.json as Listing).members.map((m) => m.id)).toEqual([a.id, b.id]);

    const listed = await httpRequest(`${server.url}/rooms/members?id=${a.id}&token=${a.token}`, {
      localAddress: '127.0.9.9',
    });
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual(second.json);
  });

  it('puts peers on different addresses in different rooms', async () => {
    const a = await peerOn(server);
    const b = await peerOn(server);
    const roomA = await roomOf(server, a, { localAddress: '127.0.2.1' });
    const roomB = await roomOf(server, b, { localAddress: '127.0.2.2' });
    expect(roomA).not.toBe(roomB);
    const listed = await httpRequest(`${server.url}/rooms/members?id=${b.id}&token=${b.token}`);
    expect((listed.json as Listing).members.map((m) => m.id)).toEqual([b.id]);
  });

  it('ignores a forged X-Forwarded-For', async () => {
    const a = await peerOn(server);
    const b = await peerOn(server);
    const roomA = await roomOf(server, a, { localAddress: '127.0.3.1' });
    // b claims to be a's address, and then something else: neither is believed.
    const roomB = await roomOf(server, b, { localAddress: '127.0.3.2', forwardedFor: '127.0.3.1' });
    expect(roomB).not.toBe(roomA);
    expect(roomB).toBe(expectedRoom('127.0.3.2'));
  });

  it('refuses a wrong token, an unknown id and malformed credentials', async () => {
    const a = await peerOn(server);
    const wrongToken = await httpRequest(`${server.url}/rooms/join`, {
      body: { id: a.id, token: `${a.token}x`, role: 'app', name: 'x' },
    });
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(wrongToken.json).toMatchObject({ status: 401, title: 'Unauthorized' });
    const unknown = await httpRequest(`${server.url}/rooms/members?id=nobody1&token=${a.token}`);
    expect(unknown.status).toBe(401);
    const ice = await httpRequest(`${server.url}/ice?id=${a.id}&token=wrong`);
    expect(ice.status).toBe(401);
    const leave = await httpRequest(`${server.url}/rooms/leave`, {
      body: { id: a.id, token: 'wrong' },
    });
    expect(leave.status).toBe(401);
    const malformed = await httpRequest(`${server.url}/rooms/join`, {
      body: { id: 'bad id!', token: 'x' },
    });
    expect(malformed.status).toBe(400);
    const notJson = await httpRequest(`${server.url}/rooms/join`, {
      body: '{"id":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ status: 400, detail: 'request body is not valid JSON' });
  });

  it('validates role and name of an authenticated peer', async () => {
    const a = await peerOn(server);
    for (const extra of [
      { role: 'admin' },
      { name: '' },
      { name: 'x'.repeat(65) },
      { name: 'a\u0000b' },
      { name: 'a\u202eb' },
    ]) {
      const result = await join(server, a, {}, extra);
      expect(result.status, JSON.stringify(extra)).toBe(400);
      expect(result.json).toMatchObject({
        status: 400,
        detail: expect.stringMatching(/^(role|name): /),
      });
    }
  });

  it('answers 404 for members of a peer that joined nothing', async () => {
    const a = await peerOn(server);
    const result = await httpRequest(`${server.url}/rooms/members?id=${a.id}&token=${a.token}`);
    expect(result.status).toBe(404);
  });

  it('drops a member when it leaves and when its socket closes', async () => {
    const a = await peerOn(server);
    const b = await peerOn(server);
    const c = await peerOn(server);
    for (const peer of [a, b, c]) await roomOf(server, peer, { localAddress: '127.0.4.1' });
    const members = async () => {
      const listed = await httpRequest(`${server.url}/rooms/members?id=${a.id}&token=${a.token}`);
      return (listed.json as Listing).members.map((m) => m.id);
    };
    expect(await members()).toEqual([a.id, b.id, c.id]);

    const left = await httpRequest(`${server.url}/rooms/leave`, {
      body: { id: b.id, token: b.token },
    });
    expect(left.status).toBe(204);
    expect(await members()).toEqual([a.id, c.id]);

    c.peer.destroy();
    await expect.poll(members, { timeout: 5000 }).toEqual([a.id]);
    // Its id is no longer a connected peer at all.
    const gone = await httpRequest(`${server.url}/rooms/members?id=${c.id}&token=${c.token}`);
    expect(gone.status).toBe(401);
  });

  it('refuses a member when the room is full', async () => {
    const peers = [
      await peerOn(server),
      await peerOn(server),
      await peerOn(server),
      await peerOn(server),
    ];
    for (const peer of peers.slice(0, 3)) await roomOf(server, peer, { localAddress: '127.0.5.1' });
    const refused = await join(server, peers[3]!, { localAddress: '127.0.5.1' });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ status: 409, title: 'Conflict', maxRoomSize: 3 });
    // A member joining again is not a new member.
    expect((await join(server, peers[0]!, { localAddress: '127.0.5.1' })).status).toBe(200);
  });
});

describe('rooms behind a trusted proxy (TRUST_PROXY=loopback)', () => {
  let server: StartedSignaling;
  beforeAll(async () => {
    server = await startSignaling({ TRUST_PROXY: 'loopback' });
  });
  afterAll(() => server.stop());

  const via = (forwardedFor: string) => ({ localAddress: '127.0.0.1', forwardedFor });

  it('honours X-Forwarded-For from the trusted hop', async () => {
    const a = await peerOn(server);
    const b = await peerOn(server);
    const roomA = await roomOf(server, a, via('198.51.100.7'));
    expect(roomA).toBe(expectedRoom('198.51.100.7'));
    expect(await roomOf(server, b, via('198.51.100.8'))).not.toBe(roomA);
    // Only the trusted hop is believed: the client-supplied entry before it is not.
    expect(await roomOf(server, b, via('198.51.100.99, 198.51.100.7'))).toBe(roomA);
  });

  it('groups IPv6 by /64 in compressed and expanded forms', async () => {
    const [a, b, c, d] = [
      await peerOn(server),
      await peerOn(server),
      await peerOn(server),
      await peerOn(server),
    ];
    const roomA = await roomOf(server, a, via('2001:db8::1'));
    expect(await roomOf(server, b, via('2001:0db8:0000:0000:abcd:0000:0000:0002'))).toBe(roomA);
    expect(await roomOf(server, c, via('2001:DB8:0:0:ffff::ffff'))).toBe(roomA);
    expect(await roomOf(server, d, via('2001:db8:0:1::1'))).not.toBe(roomA);
    expect(await roomOf(server, d, via('2001:db8::1:0:0:1'))).toBe(roomA);
  });

  it('groups an IPv4-mapped IPv6 address with its IPv4', async () => {
    const a = await peerOn(server);
    const b = await peerOn(server);
    const roomA = await roomOf(server, a, via('203.0.113.9'));
    expect(await roomOf(server, b, via('::ffff:203.0.113.9'))).toBe(roomA);
  });

  it('refuses an address that is not one', async () => {
    const a = await peerOn(server);
    const result = await join(server, a, via('not-an-ip'));
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ detail: 'the client address could not be determined' });
  });
});
