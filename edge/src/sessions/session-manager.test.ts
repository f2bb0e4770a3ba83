import { EventEmitter } from 'node:events';
import {
  createMemoryChannelPair,
  createPeerFetch,
  type MemoryChannel,
  openSession,
  type PeerFetchSession,
  rawFrames,
} from '@peerfetch/shared';
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

function manager(maxSessions = 4): SessionManager {
  return createSessionManager({
    handler: async (request) => new Response(`hello ${new URL(request.url).pathname}`),
    logger,
    maxSessions,
    maxConcurrentRequests: 8,
    maxMessageSizeOf: (pc) => (pc as { sctp: { maxMessageSize: number } }).sctp.maxMessageSize,
    refusalLingerMs: 1000,
  });
}

function connect(
  sessions: SessionManager,
  options: { reliable?: boolean; serialization?: string } = {},
) {
  const [clientChannel, serverChannel] = createMemoryChannelPair();
  const connection = new FakeConnection(serverChannel, options.reliable, options.serialization);
  sessions.accept(connection);
  const client: PeerFetchSession = openSession(clientChannel, {
    role: 'client',
    maxMessageSize: 262144,
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

  it('closeAll ends every session', async () => {
    const sessions = manager();
    const a = connect(sessions);
    const b = connect(sessions);
    await Promise.all([a.client.ready, b.client.ready]);
    await sessions.closeAll();
    expect(sessions.size).toBe(0);
    await expect.poll(() => a.client.isClosed && b.client.isClosed).toBe(true);
  });

  it('a request sent right after the handshake frame is served', async () => {
    const sessions = manager();
    const [clientChannel, serverChannel] = createMemoryChannelPair();
    sessions.accept(new FakeConnection(serverChannel));
    const received: ArrayBuffer[] = [];
    clientChannel.binaryType = 'arraybuffer';
    clientChannel.addEventListener('message', (e) => received.push((e as MessageEvent).data));
    clientChannel.send(rawFrames.hello());
    clientChannel.send(rawFrames.request(1, { method: 'GET', path: '/early', headers: [] }));
    await expect.poll(() => received.length).toBeGreaterThanOrEqual(2);
  });
});
