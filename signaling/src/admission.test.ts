import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { IClient } from 'peer';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createOpenCounter, createWindowQuota } from './address-limits.js';
import { createAdmission } from './admission.js';
import { createMetrics } from './metrics.js';
import { createPeerDirectory } from './peers.js';
import { createReservationBook } from './reservations.js';

/** A socket that records what it was sent and whether it was closed. */
class FakeSocket extends EventEmitter {
  sent: { type: string; payload?: { msg: string } }[] = [];
  closed = false;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

/** PeerServer's client: an id, a token, the socket it is on and its last heartbeat. */
class FakeClient implements IClient {
  socket: WebSocket | null;
  lastPing = 0;
  sent: unknown[] = [];
  constructor(
    readonly id: string,
    readonly token: string,
    socket: FakeSocket,
  ) {
    this.socket = socket as unknown as WebSocket;
  }
  getId = () => this.id;
  getToken = () => this.token;
  getSocket = () => this.socket;
  setSocket = (socket: WebSocket | null) => {
    this.socket = socket;
  };
  getLastPing = () => this.lastPing;
  setLastPing = (time: number) => {
    this.lastPing = time;
  };
  send = (data: unknown) => {
    this.sent.push(data);
  };
}

function setup(limits: { sockets?: number; newIds?: number } = {}) {
  const clock = { now: 1_000_000 };
  const peers = createPeerDirectory();
  const reservations = createReservationBook({ ttlMs: 60_000, maxReservations: 100 });
  const metrics = createMetrics({
    peers: () => peers.size,
    rooms: () => 0,
    reservations: () => reservations.size,
  });
  const admission = createAdmission({
    peerKey: 'k',
    addressOf: (req) => String(req.headers['x-test-address']),
    reservations,
    newIds: createWindowQuota({ limit: limits.newIds ?? 100, windowMs: 3_600_000 }),
    sockets: createOpenCounter(limits.sockets ?? 100),
    peers,
    metrics,
    messageBudget: { perSecond: 50, burst: 200 },
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
  });
  /** A socket arriving for `id`; returns it and whether admission let it through. */
  const arrive = (id: string, token: string, address = '198.51.100.1', key = 'k') => {
    const socket = new FakeSocket();
    const req = {
      url: `/peerjs/peerjs?key=${key}&id=${id}&token=${token}`,
      headers: { 'x-test-address': address },
    } as unknown as IncomingMessage;
    const admitted = admission.admit(socket as unknown as WebSocket, req);
    return { socket, admitted };
  };
  const rejections = async (reason: string) => {
    const metric = await metrics.registry
      .getSingleMetric('peerfetch_signaling_rejections_total')!
      .get();
    return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  };
  const counter = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  return { admission, arrive, rejections, counter, clock, peers };
}

describe('createAdmission', () => {
  it('refuses an id reserved for another token with ID-TAKEN, before and after its owner leaves', async () => {
    const { admission, arrive, rejections } = setup();
    const owner = arrive('edge1', 'owner-token');
    expect(owner.admitted).toBe(true);
    const client = new FakeClient('edge1', 'owner-token', owner.socket);
    admission.connected(client);

    const stranger = arrive('edge1', 'stranger-token', '203.0.113.9');
    expect(stranger.admitted).toBe(false);
    expect(stranger.socket.sent).toEqual([{ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } }]);
    expect(stranger.socket.closed).toBe(true);

    owner.socket.close();
    expect(admission.disconnected(client)).toBe(true);
    expect(arrive('edge1', 'stranger-token').admitted).toBe(false);
    expect(await rejections('id_reserved')).toBe(2);
    expect(arrive('edge1', 'owner-token').admitted).toBe(true);
  });

  it('checks the id PeerServer will register when a parameter is repeated', () => {
    const { admission, arrive } = setup();
    const owner = arrive('edge1', 'owner-token');
    admission.connected(new FakeClient('edge1', 'owner-token', owner.socket));
    const sneaky = arrive('free1&id=edge1', 'stranger-token');
    expect(sneaky.admitted).toBe(false);
    expect(sneaky.socket.sent[0]?.type).toBe('ID-TAKEN');
  });

  it('takes over from an open socket when the same token registers again', async () => {
    const { admission, arrive, counter, clock, peers } = setup();
    const first = arrive('edge1', 'tok');
    const client = new FakeClient('edge1', 'tok', first.socket);
    admission.connected(client);
    clock.now += 50_000;

    const second = arrive('edge1', 'tok');
    expect(second.admitted).toBe(true);
    // PeerServer moves its existing registration onto the new socket, and says nothing.
    client.setSocket(second.socket as unknown as WebSocket);
    admission.connected(client);
    expect(client.sent).toEqual([{ type: 'OPEN' }]);
    expect(client.lastPing).toBe(clock.now);
    expect(first.socket.sent).toEqual([
      { type: 'ERROR', payload: { msg: expect.stringMatching(/replaced/) } },
    ]);
    expect(first.socket.closed).toBe(true);
    expect(second.socket.closed).toBe(false);
    expect(peers.verify('edge1', 'tok')).toBe(true);
    expect(await counter('peerfetch_signaling_takeovers_total')).toBe(1);
  });

  it('detaches an old registration PeerServer no longer knows, so its close cannot unregister the new one', () => {
    const { admission, arrive } = setup();
    const first = arrive('edge1', 'tok');
    const old = new FakeClient('edge1', 'tok', first.socket);
    admission.connected(old);
    const second = arrive('edge1', 'tok');
    const fresh = new FakeClient('edge1', 'tok', second.socket);
    admission.connected(fresh);
    expect(old.getSocket()).toBeNull();
    // PeerServer itself said OPEN to a fresh registration.
    expect(fresh.sent).toEqual([]);
    expect(first.socket.closed).toBe(true);
    expect(admission.disconnected(old)).toBe(false);
  });

  it('caps open sockets per address; a closed socket frees its place; others are unaffected', async () => {
    const { arrive, rejections } = setup({ sockets: 2 });
    const open = [arrive('a1', 't'), arrive('a2', 't')];
    expect(open.map((o) => o.admitted)).toEqual([true, true]);
    const refused = arrive('a3', 't');
    expect(refused.admitted).toBe(false);
    expect(refused.socket.sent[0]).toEqual({
      type: 'ERROR',
      payload: { msg: 'too many open connections from this address' },
    });
    expect(refused.socket.closed).toBe(true);
    expect(arrive('b1', 't', '198.51.100.2').admitted).toBe(true);
    open[0]!.socket.close();
    expect(arrive('a3', 't').admitted).toBe(true);
    expect(await rejections('sockets_per_address')).toBe(1);
  });

  it('lets an address at its cap take over its own socket', () => {
    const { admission, arrive } = setup({ sockets: 1 });
    const first = arrive('edge1', 'tok');
    const client = new FakeClient('edge1', 'tok', first.socket);
    admission.connected(client);
    const second = arrive('edge1', 'tok');
    expect(second.admitted).toBe(true);
    client.setSocket(second.socket as unknown as WebSocket);
    admission.connected(client);
    expect(first.socket.closed).toBe(true);
    expect(arrive('other', 'tok').admitted).toBe(false);
  });

  it('limits the new ids one address reserves; its own ids are not new', async () => {
    const { admission, arrive, rejections } = setup({ newIds: 2 });
    for (const id of ['n1', 'n2']) {
      const { socket } = arrive(id, 't');
      admission.connected(new FakeClient(id, 't', socket));
      socket.close();
    }
    const refused = arrive('n3', 't');
    expect(refused.admitted).toBe(false);
    expect(refused.socket.sent[0]?.payload?.msg).toMatch(/too many new peer ids/);
    expect(arrive('n1', 't').admitted).toBe(true);
    expect(arrive('n3', 't', '198.51.100.2').admitted).toBe(true);
    expect(await rejections('new_ids_per_address')).toBe(1);
  });

  it('refuses ids PeerJS would not make, and leaves a wrong key to PeerServer', async () => {
    const { arrive, rejections } = setup();
    const long = arrive('x'.repeat(65), 't');
    expect(long.admitted).toBe(false);
    expect(long.socket.sent[0]).toEqual({
      type: 'ERROR',
      payload: { msg: 'invalid peer id or token' },
    });
    expect(arrive('a b!', 't').admitted).toBe(false);
    expect(await rejections('bad_peer_id')).toBe(2);
    expect(arrive('fine', 't', '198.51.100.1', 'wrong').admitted).toBe(true);
  });
});
