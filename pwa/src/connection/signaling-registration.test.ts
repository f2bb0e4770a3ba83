import type { RoomsApi } from '@peerfetch/shared';
import type { Peer, PeerOptions } from 'peerjs';
import { describe, expect, it, vi } from 'vitest';
import {
  createSignalingRegistration,
  newIdentity,
  type SignalingState,
} from './signaling-registration';

/** Just enough of a PeerJS Peer: events, options, destroy, disconnect, reconnect. */
class FakePeer {
  readonly handlers = new Map<string, Array<(arg?: unknown) => void>>();
  destroyed = false;
  disconnected = false;
  reconnects = 0;
  constructor(
    readonly id: string,
    readonly options: PeerOptions,
  ) {}
  on(event: string, handler: (arg?: unknown) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  off() {
    return this;
  }
  emit(event: string, arg?: unknown) {
    for (const handler of this.handlers.get(event) ?? []) handler(arg);
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.disconnected = true;
    this.emit('close');
  }
  reconnect() {
    this.reconnects += 1;
    this.disconnected = false;
  }
  disconnect() {
    if (this.disconnected) return;
    this.disconnected = true;
    this.emit('disconnected');
  }
}

function peerError(type: string) {
  return Object.assign(new Error(type), { type });
}

const identity = newIdentity();

function setup(rooms: Partial<RoomsApi> = {}, relayOnly = false) {
  const peers: FakePeer[] = [];
  const states: SignalingState[] = [];
  const client = createSignalingRegistration({
    url: new URL('https://signal.example.org/'),
    key: 'k1',
    name: 'My phone',
    relayOnly,
    identity,
    rooms: {
      iceServers: vi.fn(async () => ({ iceServers: [{ urls: 'stun:stun.example.org:3478' }] })),
      join: vi.fn(),
      members: vi.fn(),
      leave: vi.fn(),
      ...rooms,
    } as RoomsApi,
    createPeer: (id, options) => {
      const peer = new FakePeer(id, options);
      peers.push(peer);
      return peer as unknown as Peer;
    },
    onState: (s) => states.push(s),
    backoff: { initialMs: 10, maxMs: 20, jitter: 0 },
  });
  return { client, peers, states };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('signaling client', () => {
  it('registers with explicit server options and a token, then uses the ICE servers from /ice', async () => {
    const { client, peers } = setup();
    const peer = peers[0]!;
    expect(peer.id).toBe(identity.id);
    expect(identity.id).toMatch(/^app-[0-9a-f-]{36}$/);
    expect(peer.options).toMatchObject({
      host: 'signal.example.org',
      port: 443,
      path: '/peerjs',
      secure: true,
      key: 'k1',
    });
    expect(peer.options.token).toBe(identity.token);
    expect(identity.token).toMatch(/^[0-9a-f]{48}$/);
    expect(peer.options.config).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
    peer.emit('open', peer.id);
    expect(await client.waitForPeer()).toBe(peer);
    expect(peer.options.config).toEqual({
      iceServers: [{ urls: 'stun:stun.example.org:3478' }],
      iceTransportPolicy: 'all',
    });
    expect(client.state).toEqual({ kind: 'ready', peerId: peer.id, iceServerCount: 1 });
    client.stop();
  });

  it('asks for relay candidates only when the user chose to always relay', async () => {
    const { client, peers } = setup({}, true);
    const peer = peers[0]!;
    expect(peer.options.config).toEqual({ iceServers: [], iceTransportPolicy: 'relay' });
    peer.emit('open', peer.id);
    await client.waitForPeer();
    expect(peer.options.config).toMatchObject({ iceTransportPolicy: 'relay' });
    client.stop();
  });

  it('fetches /ice again before the TURN credentials expire', async () => {
    vi.useFakeTimers({ now: 0 });
    let issued = 0;
    const iceServers = vi.fn(async () => ({
      iceServers: [{ urls: 'turn:t', username: `u${++issued}`, credential: 'c' }],
      expiresAt: Date.now() + 60_000,
    }));
    const { client, peers } = setup({ iceServers });
    const peer = peers[0]!;
    peer.emit('open', peer.id);
    await vi.advanceTimersByTimeAsync(0);
    expect(peer.options.config.iceServers).toMatchObject([{ username: 'u1' }]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(peer.options.config.iceServers).toMatchObject([{ username: 'u2' }]);
    client.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(iceServers).toHaveBeenCalledTimes(2);
    vi.useRealTimers();
  });

  it('retries with a new peer after a network failure, and reconnects a dropped socket in place', async () => {
    const { client, peers, states } = setup();
    peers[0]!.emit('error', peerError('network'));
    peers[0]!.destroy();
    expect(client.state.kind).toBe('retrying');
    expect(states.at(-1)).toMatchObject({
      reason: expect.stringMatching(/No answer from signal\.example\.org/),
    });
    await tick(30);
    expect(peers).toHaveLength(2);
    peers[1]!.emit('open', peers[1]!.id);
    await tick();
    expect(client.state.kind).toBe('ready');
    peers[1]!.disconnected = true;
    peers[1]!.emit('disconnected');
    expect(client.state.kind).toBe('retrying');
    await tick(30);
    expect(peers[1]!.reconnects).toBe(1);
    expect(peers).toHaveLength(2);
    client.stop();
  });

  it('renews a registered socket at once, keeping the peer and its connections', async () => {
    const { client, peers, states } = setup();
    peers[0]!.emit('open', peers[0]!.id);
    await tick();
    const waited = client.waitForPeer();
    client.renew();
    // A fresh socket for the same peer, with no backoff and no "lost" state in between.
    expect(peers[0]!.reconnects).toBe(1);
    expect(peers[0]!.destroyed).toBe(false);
    expect(peers).toHaveLength(1);
    expect(states.map((s) => s.kind)).toEqual(['connecting', 'ready', 'connecting']);
    const later = client.waitForPeer();
    peers[0]!.emit('open', peers[0]!.id);
    await expect(later).resolves.toBe(peers[0]);
    await expect(waited).resolves.toBe(peers[0]);
    expect(client.state.kind).toBe('ready');
    client.stop();
  });

  it('retries a renewed socket that fails at once quietly and soon, then shows the loss', async () => {
    const { client, peers, states } = setup();
    peers[0]!.emit('open', peers[0]!.id);
    await tick();
    // The new network's route is not there yet: the fresh socket fails at once, twice.
    const fail = () => {
      peers[0]!.emit('error', peerError('network'));
      peers[0]!.disconnect();
    };
    client.renew();
    fail();
    expect(client.state.kind).toBe('connecting');
    await tick(300);
    expect(peers[0]!.reconnects).toBe(2);
    fail();
    await tick(300);
    expect(peers[0]!.reconnects).toBe(3);
    peers[0]!.emit('open', peers[0]!.id);
    await tick();
    expect(client.state.kind).toBe('ready');
    expect(states.map((s) => s.kind)).not.toContain('retrying');
    // A socket that keeps failing shows as lost after a few quick tries.
    client.renew();
    for (let i = 0; i < 5; i += 1) {
      fail();
      await tick(300);
    }
    expect(states.map((s) => s.kind)).toContain('retrying');
    client.stop();
  });

  it('keeps its id when the id is taken (paired devices know it), retrying with a reason', async () => {
    const { client, peers, states } = setup();
    peers[0]!.emit('error', peerError('unavailable-id'));
    expect(states.at(-1)).toMatchObject({
      kind: 'retrying',
      reason: expect.stringMatching(/in use elsewhere/),
    });
    await tick(30);
    expect(peers).toHaveLength(2);
    expect(peers[1]!.id).toBe(identity.id);
    expect(peers[1]!.options.token).toBe(identity.token);
    client.stop();
  });

  it('gives up with a reason on a refused key, failing whoever waits', async () => {
    const { client, peers } = setup();
    const waiting = client.waitForPeer();
    peers[0]!.emit('error', peerError('invalid-key'));
    await expect(waiting).rejects.toThrow(/server key/);
    expect(client.state).toMatchObject({ kind: 'failed' });
    await tick(30);
    expect(peers).toHaveLength(1);
    client.stop();
  });

  it('joins the local room as an app once, then lists its edges', async () => {
    const listing = {
      room: 'r',
      members: [
        { id: 'edge-1', role: 'edge' as const, name: 'Kitchen Pi', joinedAt: '' },
        { id: 'app-x', role: 'app' as const, name: 'Other phone', joinedAt: '' },
      ],
    };
    const join = vi.fn(async () => listing);
    const members = vi.fn(async () => listing);
    const { client, peers } = setup({ join, members });
    peers[0]!.emit('open', peers[0]!.id);
    expect((await client.listNearbyEdges()).map((m) => m.name)).toEqual(['Kitchen Pi']);
    await client.listNearbyEdges();
    expect(join).toHaveBeenCalledTimes(1);
    expect(join).toHaveBeenCalledWith(
      expect.objectContaining({ id: peers[0]!.id, role: 'app', name: 'My phone' }),
      undefined,
    );
    expect(members).toHaveBeenCalledTimes(1);
    client.stop();
  });
});
