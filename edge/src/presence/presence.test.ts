import { EventEmitter } from 'node:events';
import { RoomsApiError } from '@peerfetch/shared';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../logger.js';
import { newIdentity } from '../state/identity.js';
import type { Peer } from '../webrtc/index.js';
import { createPresence } from './presence.js';

/** Stands in for PeerJS's Peer: tests drive its events by hand. */
class FakePeer extends EventEmitter {
  static made: FakePeer[] = [];
  open = false;
  disconnected = false;
  destroyed = false;
  reconnects = 0;
  /** What was sent on its server socket. */
  readonly sent: unknown[] = [];
  readonly socket = { send: (message: unknown) => this.sent.push(message) };
  readonly options: { config: { iceServers: unknown[] } };
  constructor(
    readonly id: string,
    readonly init: Record<string, unknown> & { config: { iceServers: unknown[] } },
  ) {
    super();
    this.options = { ...init };
    FakePeer.made.push(this);
  }
  serverOpens() {
    this.open = true;
    this.disconnected = false;
    this.emit('open', this.id);
  }
  serverLost() {
    this.open = false;
    this.disconnected = true;
    this.emit('disconnected', this.id);
  }
  reconnect() {
    this.reconnects++;
    this.disconnected = false;
  }
  disconnect() {
    this.serverLost();
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

function setup(
  overrides: {
    iceServers?: { urls: string }[];
    leave?: () => Promise<void>;
    logger?: Logger;
    dropConnectionsOf?: string[];
    relayOnly?: boolean;
  } = {},
) {
  FakePeer.made = [];
  const rooms = {
    join: vi.fn(async () => ({ room: 'r1', members: [] })),
    leave: vi.fn(overrides.leave ?? (async () => {})),
    iceServers: vi.fn(async () => ({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] })),
  };
  const identity = newIdentity();
  const presence = createPresence({
    Peer: FakePeer as unknown as typeof Peer,
    identity,
    signalingUrl: 'http://127.0.0.1:9000/base',
    key: 'k',
    name: 'Kitchen Pi',
    rooms,
    logger: overrides.logger ?? pino({ level: 'silent' }),
    onConnection: () => {},
    backoff: { initialMs: 10, maxMs: 40 },
    registerTimeoutMs: 200,
    dropConnectionsOf: overrides.dropConnectionsOf,
    relayOnly: overrides.relayOnly,
    ...(overrides.iceServers ? { iceServers: overrides.iceServers } : {}),
  });
  return { presence, rooms, identity };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('presence', () => {
  it('registers with the stored id and token, fetches ICE servers and joins as an edge', async () => {
    const { presence, rooms, identity } = setup();
    presence.start();
    const peer = FakePeer.made[0]!;
    expect(peer.id).toBe(identity.peerId);
    expect(peer.init).toMatchObject({
      host: '127.0.0.1',
      port: 9000,
      path: '/base/peerjs',
      secure: false,
      key: 'k',
      token: identity.token,
    });
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    expect(rooms.join).toHaveBeenCalledWith({
      id: identity.peerId,
      token: identity.token,
      role: 'edge',
      name: 'Kitchen Pi',
    });
    expect(peer.options.config.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
    await presence.stop();
    expect(rooms.leave).toHaveBeenCalledTimes(1);
    expect(peer.destroyed).toBe(true);
  });

  it('fetches ICE servers again before their TURN credentials expire, while registered', async () => {
    vi.useFakeTimers({ now: 0 });
    const { presence, rooms } = setup();
    let issued = 0;
    rooms.iceServers.mockImplementation(async () => ({
      iceServers: [{ urls: 'turn:127.0.0.1:3478', username: `u${++issued}`, credential: 'c' }],
      expiresAt: Date.now() + 60_000,
    }));
    presence.start();
    const peer = FakePeer.made[0]!;
    peer.serverOpens();
    await vi.advanceTimersByTimeAsync(0);
    expect(presence.state).toBe('joined');
    expect(peer.options.config.iceServers).toMatchObject([{ username: 'u1' }]);
    // Halfway to the expiry, and again halfway to the next one: never a stale credential.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(peer.options.config.iceServers).toMatchObject([{ username: 'u2' }]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(peer.options.config.iceServers).toMatchObject([{ username: 'u3' }]);
    await presence.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(rooms.iceServers).toHaveBeenCalledTimes(3);
  });

  it('asks for relay candidates only when relayOnly, and keeps asking after ICE servers change', async () => {
    const { presence } = setup({ relayOnly: true });
    presence.start();
    const peer = FakePeer.made[0]!;
    expect(peer.init.config).toMatchObject({ iceTransportPolicy: 'relay' });
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    expect(peer.options.config).toEqual({
      iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
      iceTransportPolicy: 'relay',
    });
    await presence.stop();
  });

  for (const [what, failure, level, message] of [
    [
      'a server that refuses',
      new RoomsApiError(401, undefined, 'POST /rooms/leave: 401'),
      'warn',
      'leaving the room failed',
    ],
    [
      'a server that is gone',
      new TypeError('fetch failed'),
      'info',
      'did not leave the room: the signaling server is unreachable; it drops this device when the connection closes',
    ],
  ] as const) {
    it(`on stop, says at ${level} level that ${what} kept it from leaving the room`, async () => {
      const lines: { level: number; msg: string }[] = [];
      const logger = pino(
        { level: 'info' },
        { write: (line: string) => lines.push(JSON.parse(line)) },
      );
      const { presence } = setup({ leave: async () => Promise.reject(failure), logger });
      presence.start();
      FakePeer.made[0]!.serverOpens();
      await expect.poll(() => presence.state).toBe('joined');
      await presence.stop();
      expect(lines.find((l) => l.msg === message)?.level).toBe(pino.levels.values[level]);
      expect(FakePeer.made[0]!.destroyed).toBe(true);
    });
  }

  it('tells the previous process’s clients to drop their connections, on the first registration only', async () => {
    const { presence } = setup({ dropConnectionsOf: ['phone-1', 'laptop-2'] });
    presence.start();
    const peer = FakePeer.made[0]!;
    peer.serverOpens();
    expect(peer.sent).toEqual([
      { type: 'LEAVE', dst: 'phone-1' },
      { type: 'LEAVE', dst: 'laptop-2' },
    ]);
    await expect.poll(() => presence.state).toBe('joined');
    // Sessions outlive a lost signaling server: a reconnect says nothing.
    peer.serverLost();
    await expect.poll(() => peer.reconnects).toBe(1);
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    expect(peer.sent).toHaveLength(2);
    await presence.stop();
  });

  it('uses configured ICE servers without asking the server', async () => {
    const { presence, rooms } = setup({ iceServers: [{ urls: 'stun:10.0.0.1' }] });
    presence.start();
    FakePeer.made[0]!.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    expect(rooms.iceServers).not.toHaveBeenCalled();
    await presence.stop();
  });

  it('reconnects the same peer after a loss and joins the room again', async () => {
    const { presence, rooms } = setup();
    presence.start();
    const peer = FakePeer.made[0]!;
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    peer.serverLost();
    expect(presence.state).toBe('reconnecting');
    await expect.poll(() => peer.reconnects).toBe(1);
    peer.serverLost(); // the server is still down (or answered ID-TAKEN)
    await expect.poll(() => peer.reconnects).toBe(2);
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    expect(rooms.join).toHaveBeenCalledTimes(2);
    expect(presence.registrations).toBe(2);
    expect(FakePeer.made).toHaveLength(1);
    await presence.stop();
  });

  it('replaces a peer that PeerJS destroyed before its first registration', async () => {
    const { presence } = setup();
    presence.start();
    FakePeer.made[0]!.destroy(); // e.g. ID-TAKEN on the very first attempt
    await expect.poll(() => FakePeer.made.length).toBe(2);
    expect(FakePeer.made[1]!.id).toBe(FakePeer.made[0]!.id);
    await presence.stop();
  });

  it('warns once per episode when the server refuses the id, and keeps retrying', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const { presence } = setup({ logger });
    const refused = (peer: FakePeer) => {
      // What PeerJS does on ID-TAKEN for a peer that was registered before.
      peer.emit('error', Object.assign(new Error('ID is taken'), { type: 'unavailable-id' }));
      peer.serverLost();
    };
    const warnings = () =>
      lines.filter(
        (l) => l.level === pino.levels.values.warn && /refuses this peer id/.test(l.msg),
      );
    presence.start();
    const peer = FakePeer.made[0]!;
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    for (let i = 1; i <= 3; i++) {
      refused(peer);
      await expect.poll(() => peer.reconnects).toBe(i);
    }
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/someone else with a different token/);
    expect(lines.filter((l) => l.msg === 'lost the signaling server; reconnecting')).toHaveLength(
      0,
    );
    peer.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    refused(peer);
    await expect.poll(() => peer.reconnects).toBe(4);
    expect(warnings()).toHaveLength(2);
    await presence.stop();
  });

  it('restarts a registration that hangs', async () => {
    const { presence } = setup();
    presence.start();
    const peer = FakePeer.made[0]!;
    await expect.poll(() => peer.reconnects, { timeout: 2000 }).toBeGreaterThanOrEqual(1);
    await presence.stop();
  });

  it('retries a failed room join while registered', async () => {
    const { presence, rooms } = setup();
    rooms.join.mockRejectedValueOnce(new Error('503'));
    presence.start();
    FakePeer.made[0]!.serverOpens();
    await expect.poll(() => presence.state).toBe('joined');
    expect(rooms.join).toHaveBeenCalledTimes(2);
    await presence.stop();
  });
});
