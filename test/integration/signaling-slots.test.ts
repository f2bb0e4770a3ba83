/**
 * Per-address caps on open PeerJS sockets and on room memberships: one address past its cap
 * is refused (and counted) while another address still registers and joins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePeer, type OpenNodePeer, randomPeerId } from '../helpers/peerjs-node.js';
import {
  httpRequest,
  metricValue,
  type RawRegistration,
  registerRaw,
  type StartedSignaling,
  startSignaling,
} from '../helpers/signaling.js';

const rejections = (server: StartedSignaling, reason: string) =>
  metricValue(server, 'peerfetch_signaling_rejections_total', { reason });

describe('behind a trusted proxy, addresses from X-Forwarded-For', () => {
  let server: StartedSignaling;
  const open: RawRegistration[] = [];
  beforeAll(async () => {
    server = await startSignaling({
      TRUST_PROXY: 'loopback',
      MAX_SOCKETS_PER_ADDRESS: '3',
      MAX_MEMBERS_PER_ADDRESS: '2',
    });
  });
  afterAll(async () => {
    for (const registration of open) registration.socket.close();
    await server.stop();
  });

  /** A peer registered from `address`, kept open until the end. */
  async function peerFrom(address: string) {
    const id = randomPeerId();
    const token = `token-${id}`;
    const registration = await registerRaw({ port: server.port, id, token, forwardedFor: address });
    open.push(registration);
    return { id, token, registration };
  }

  function join(peer: { id: string; token: string }, address: string) {
    return httpRequest(`${server.url}/rooms/join`, {
      body: { id: peer.id, token: peer.token, role: 'app', name: `peer ${peer.id}` },
      headers: { 'x-forwarded-for': address },
    });
  }

  it('refuses sockets past the cap of one address, and not another address', async () => {
    const a = '198.51.100.10';
    const held = [await peerFrom(a), await peerFrom(a), await peerFrom(a)];
    expect(held.map((p) => p.registration.message.type)).toEqual(['OPEN', 'OPEN', 'OPEN']);

    const refused = [await peerFrom(a), await peerFrom(a)];
    for (const { registration } of refused) {
      expect(registration.message).toEqual({
        type: 'ERROR',
        payload: { msg: 'too many open connections from this address' },
      });
      expect(await registration.closed).toBeGreaterThan(0);
    }
    expect(await rejections(server, 'sockets_per_address')).toBe(2);

    const b = '198.51.100.20';
    const other = await peerFrom(b);
    expect(other.registration.message.type).toBe('OPEN');
    expect((await join(other, b)).status).toBe(200);

    // A closed socket gives its place back.
    held[0]!.registration.socket.close();
    await held[0]!.registration.closed;
    await expect
      .poll(async () => (await peerFrom(a)).registration.message.type, { timeout: 5000 })
      .toBe('OPEN');
  });

  it('refuses room members past the cap of one address, and not another address', async () => {
    // Sockets from three addresses, all joining from one: the membership cap is per joiner.
    const c = '203.0.113.5';
    const peers = [
      await peerFrom('192.0.2.1'),
      await peerFrom('192.0.2.2'),
      await peerFrom('192.0.2.3'),
    ];
    expect((await join(peers[0]!, c)).status).toBe(200);
    expect((await join(peers[1]!, c)).status).toBe(200);
    const refused = await join(peers[2]!, c);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json).toMatchObject({
      status: 429,
      detail: 'this address already has 2 peers in rooms',
      maxMembersPerAddress: 2,
    });
    expect(await rejections(server, 'members_per_address')).toBe(1);

    const d = await peerFrom('203.0.113.6');
    expect((await join(d, '203.0.113.6')).status).toBe(200);

    // Leaving frees a place.
    const left = await httpRequest(`${server.url}/rooms/leave`, {
      body: { id: peers[0]!.id, token: peers[0]!.token },
    });
    expect(left.status).toBe(204);
    const listing = await join(peers[2]!, c);
    expect(listing.status).toBe(200);
    expect((listing.json as { members: { id: string }[] }).members.map((m) => m.id)).toEqual([
      peers[1]!.id,
      peers[2]!.id,
    ]);
  });
});

describe('the stock PeerJS client over its cap', () => {
  let server: StartedSignaling;
  const peers: OpenNodePeer[] = [];
  beforeAll(async () => {
    server = await startSignaling({ MAX_SOCKETS_PER_ADDRESS: '2' });
  });
  afterAll(async () => {
    for (const { peer } of peers) peer.destroy();
    await server.stop();
  });

  it('sees a server-error that says why', async () => {
    peers.push(await createNodePeer({ port: server.port }));
    peers.push(await createNodePeer({ port: server.port }));
    const refusal = await createNodePeer({ port: server.port }).then(
      () => undefined,
      (error: Error & { type?: string }) => error,
    );
    expect(refusal?.type).toBe('server-error');
    expect(refusal?.message).toBe('too many open connections from this address');
    expect(await rejections(server, 'sockets_per_address')).toBe(1);
  });
});

describe('a socket that floods messages', () => {
  let server: StartedSignaling;
  const open: RawRegistration[] = [];
  beforeAll(async () => {
    server = await startSignaling({ MESSAGES_PER_SECOND: '20', MESSAGE_BURST: '50' });
  });
  afterAll(async () => {
    for (const registration of open) registration.socket.close();
    await server.stop();
  });

  async function register() {
    const id = randomPeerId();
    const registration = await registerRaw({ port: server.port, id, token: `token-${id}` });
    open.push(registration);
    expect(registration.message.type).toBe('OPEN');
    return { id, registration };
  }

  it('is closed past its budget, and its target gets no more than the budget', async () => {
    const target = await register();
    const flooder = await register();
    const offer = (i: number) =>
      JSON.stringify({ type: 'CANDIDATE', dst: target.id, payload: { connectionId: `dc_${i}` } });
    for (let i = 0; i < 1000 && flooder.registration.socket.readyState === 1; i++)
      flooder.registration.socket.send(offer(i));
    expect(await flooder.registration.closed).toBeGreaterThan(0);
    expect(flooder.registration.later).toContainEqual({
      type: 'ERROR',
      payload: { msg: 'too many messages; this connection is closed' },
    });
    expect(await rejections(server, 'message_rate')).toBe(1);
    // The burst (and what the rate refilled meanwhile) reached the target, nothing more.
    await new Promise((r) => setTimeout(r, 500));
    const relayed = target.registration.later.filter((m) => m.type === 'CANDIDATE').length;
    expect(relayed).toBeGreaterThanOrEqual(50);
    expect(relayed).toBeLessThan(100);
    // A well-behaved socket on the same address is unaffected.
    const calm = await register();
    calm.registration.socket.send(offer(-1));
    await expect
      .poll(() => target.registration.later.filter((m) => m.type === 'CANDIDATE').length)
      .toBe(relayed + 1);
  });
});

describe('a socket that sends what is not a message', () => {
  let server: StartedSignaling;
  beforeAll(async () => {
    server = await startSignaling();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is counted, and the server goes on serving', async () => {
    const id = randomPeerId();
    const sender = await registerRaw({ port: server.port, id, token: `token-${id}` });
    for (const junk of ['null', '42', '{', '"text"']) sender.socket.send(junk);
    await expect.poll(() => rejections(server, 'bad_message')).toBe(4);
    // Over the 64 KiB message limit: that socket is closed, and counted too.
    sender.socket.send('x'.repeat(65 * 1024));
    expect(await sender.closed).toBe(1009);
    await expect.poll(() => rejections(server, 'bad_message')).toBe(5);
    const other = randomPeerId();
    const next = await registerRaw({ port: server.port, id: other, token: `token-${other}` });
    expect(next.message.type).toBe('OPEN');
    expect(server.exitCode()).toBeNull();
    next.socket.close();
  });
});
