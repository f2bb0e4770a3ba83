import { EventEmitter } from 'node:events';
import {
  type ChannelBinding,
  clientAuthenticator,
  createPeerFetch,
  edgeAuthenticator,
  importPairingKey,
  openSession,
  type PeerFetchSession,
} from '@peerfetch/shared';
import { createMemoryChannelPair, type MemoryChannel, rawFrames } from '@peerfetch/shared/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSessionManager,
  type IncomingConnection,
  type SessionManager,
} from './session-manager.js';

const logger = pino({ level: 'silent' });

/** A PeerJS-DataConnection look-alike around one end of an in-memory channel. */
class FakeConnection extends EventEmitter implements IncomingConnection {
  closed = false;
  readonly open = true;
  readonly peerConnection = { sctp: { maxMessageSize: 262144 } };
  readonly connectionId = `dc_${Math.random().toString(36).slice(2)}`;
  constructor(
    readonly dataChannel: MemoryChannel,
    readonly reliable = true,
    readonly serialization = 'raw',
    readonly peer = 'client-1',
  ) {
    super();
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.dataChannel.close();
    this.emit('close');
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The in-memory channel has no SDP: a fixed binding stands in for the DTLS fingerprints. */
const binding = (clientId: string): ChannelBinding => ({
  clientId,
  edgeId: 'edge-1',
  clientFingerprint: 'sha-256 AA',
  edgeFingerprint: 'sha-256 BB',
});
const pairingKey = new Uint8Array(32).fill(7);
const key = await importPairingKey(pairingKey);
let handled = 0;
let forgotten: string[] = [];
afterEach(() => {
  handled = 0;
  forgotten = [];
});

function manager(maxSessions = 4, preAuthDeadlineMs?: number): SessionManager {
  return createSessionManager({
    preAuthDeadlineMs,
    handler: async (request) => {
      handled++;
      return new Response(`hello ${new URL(request.url).pathname}`);
    },
    authenticatorFor: (connection) =>
      edgeAuthenticator({
        binding: binding(connection.peer),
        edgeName: 'Test Edge',
        findClientKey: async (id) => (id === 'client-1' ? key : undefined),
        pairing: { beginAttempt: () => undefined, complete: async () => {} },
      }),
    forgetClient: async (id) => {
      forgotten.push(id);
    },
    logger,
    maxSessions,
    maxConcurrentRequests: 8,
    maxMessageSizeOf: (pc) => (pc as { sctp: { maxMessageSize: number } }).sctp.maxMessageSize,
    refusalLingerMs: 1000,
  });
}

function connect(
  sessions: SessionManager,
  options: { reliable?: boolean; serialization?: string; peer?: string } = {},
) {
  const [clientChannel, serverChannel] = createMemoryChannelPair();
  const peer = options.peer ?? 'client-1';
  const connection = new FakeConnection(
    serverChannel,
    options.reliable,
    options.serialization,
    peer,
  );
  sessions.accept(connection);
  const client: PeerFetchSession = openSession(clientChannel, {
    role: 'client',
    maxMessageSize: 262144,
    authenticate: clientAuthenticator({
      binding: binding(peer),
      clientName: 'test',
      credentials: { key },
    }),
  });
  cleanups.push(() => client.close());
  return { connection, client, clientChannel, fetch: createPeerFetch(client).fetch };
}

describe('session manager', () => {
  it('serves requests on a reliable raw connection', async () => {
    const sessions = manager();
    const { client, fetch } = connect(sessions);
    await client.ready;
    const response = await fetch('/api/device');
    expect(await response.text()).toBe('hello /api/device');
    expect(sessions.size).toBe(1);
  });

  it.each([[{ reliable: false }], [{ serialization: 'binary' }]])(
    'refuses a connection that is not reliable and raw: %j',
    async (options) => {
      const sessions = manager();
      const { connection } = connect(sessions, options);
      await new Promise((r) => setTimeout(r, 10));
      expect(connection.closed).toBe(true);
      expect(sessions.size).toBe(0);
    },
  );

  it('answers 503 past the session limit', async () => {
    const sessions = manager(1);
    const first = connect(sessions);
    await first.client.ready;
    const second = connect(sessions);
    const response = await second.fetch('/x');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(sessions.size).toBe(1);
    expect(await (await first.fetch('/y')).text()).toBe('hello /y');
  });

  it('never counts sessions that have not authenticated against the limit', async () => {
    const sessions = manager(1);
    // Strangers that opened a channel and stay silent in the handshake.
    const silent = [1, 2, 3].map(() => {
      const [, serverChannel] = createMemoryChannelPair();
      const connection = new FakeConnection(serverChannel, true, 'raw', 'stranger');
      sessions.accept(connection);
      return connection;
    });
    const paired = connect(sessions);
    await paired.client.ready;
    expect(await (await paired.fetch('/mine')).text()).toBe('hello /mine');
    expect(sessions.size).toBe(1);
    expect(silent.some((connection) => connection.closed)).toBe(false);
  });

  it('closes a connection that has not authenticated by the deadline', async () => {
    const sessions = manager(4, 300);
    const [clientChannel, serverChannel] = createMemoryChannelPair();
    const connection = new FakeConnection(serverChannel, true, 'raw', 'stranger');
    sessions.accept(connection);
    clientChannel.send(rawFrames.hello());
    const paired = connect(sessions);
    await paired.client.ready;
    await expect.poll(() => connection.closed, { timeout: 3000 }).toBe(true);
    // The deadline ends only handshakes: the authenticated session outlives it.
    await new Promise((r) => setTimeout(r, 400));
    expect(paired.client.isClosed).toBe(false);
    expect(await (await paired.fetch('/after')).text()).toBe('hello /after');
  });

  it('drops a client that sends garbage and keeps serving the others', async () => {
    const sessions = manager();
    const good = connect(sessions);
    const bad = connect(sessions);
    await Promise.all([good.client.ready, bad.client.ready]);
    expect(sessions.size).toBe(2);
    bad.clientChannel.send(new Uint8Array([0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await expect.poll(() => bad.connection.closed).toBe(true);
    expect(sessions.size).toBe(1);
    expect(await (await good.fetch('/still')).text()).toBe('hello /still');
  });

  it('closeAll ends every session and returns once each client has closed its channel', async () => {
    const sessions = manager();
    const a = connect(sessions);
    const b = connect(sessions);
    await Promise.all([a.client.ready, b.client.ready]);
    const started = Date.now();
    await sessions.closeAll();
    expect(sessions.size).toBe(0);
    expect(a.client.isClosed && b.client.isClosed).toBe(true);
    // The clients closed the channels on the GOAWAY; then the edge closed the connections.
    expect(a.connection.closed && b.connection.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('never serves a request sent before authentication, and closes that session', async () => {
    const sessions = manager();
    const [clientChannel, serverChannel] = createMemoryChannelPair();
    const connection = new FakeConnection(serverChannel);
    sessions.accept(connection);
    clientChannel.send(rawFrames.hello());
    clientChannel.send(rawFrames.request(1, { method: 'GET', path: '/early', headers: [] }));
    // This raw peer never closes the channel after the ERROR: the edge does, after the grace.
    await expect.poll(() => connection.closed, { timeout: 3000 }).toBe(true);
    expect(handled).toBe(0);
    expect(sessions.size).toBe(0);
  });

  it('refuses a client the edge does not know, before any request', async () => {
    const sessions = manager();
    const stranger = connect(sessions, { peer: 'client-2' });
    await expect(stranger.client.ready).rejects.toMatchObject({
      code: 'handshake-failed',
      cause: { reason: 'not-paired' },
    });
    await expect.poll(() => stranger.connection.closed).toBe(true);
    expect(handled).toBe(0);
  });

  it('forgets a client on DELETE /.well-known/peerfetch/pairing, then ends its session', async () => {
    const sessions = manager();
    const { client, fetch } = connect(sessions);
    await client.ready;
    expect((await fetch('/.well-known/peerfetch/pairing')).status).toBe(405);
    const response = await fetch('/.well-known/peerfetch/pairing', { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(forgotten).toEqual(['client-1']);
    expect(handled).toBe(0); // answered before routing
    await expect.poll(() => client.isClosed, { timeout: 3000 }).toBe(true);
  });

  it('closeClient ends every session of that client', async () => {
    const sessions = manager();
    const a = connect(sessions);
    const b = connect(sessions);
    await Promise.all([a.client.ready, b.client.ready]);
    expect(sessions.closeClient('client-1')).toBe(2);
    expect(sessions.closeClient('nobody')).toBe(0);
    await expect.poll(() => a.client.isClosed && b.client.isClosed).toBe(true);
  });
});
