import {
  connectInMemory,
  FakeChannel,
  framesOf,
  type InMemoryConnection,
  type InMemoryOptions,
  type MemoryChannel,
  patternBytes,
  rawFrames,
  readAll,
  sha256Hex,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { serveRequests } from '../server/serve-requests.js';
import { FrameType } from '../wire/frame-types.js';
import { NO_BODY } from './body-source.js';
import { openSession } from './session.js';

let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** Counts the messages a channel end sends, and the frames inside them. */
function countSends(channel: MemoryChannel) {
  const counts = { messages: 0, frames: 0, batches: 0 };
  const send = channel.send.bind(channel);
  channel.send = (data) => {
    counts.messages++;
    counts.frames += framesOf(data).length;
    if (data[0] === FrameType.Batch) counts.batches++;
    send(data);
  };
  return counts;
}

/**
 * 64 requests at once over a fresh in-memory connection, each answered with its own bytes;
 * checks every body and returns what each side sent.
 */
async function sixtyFourAtOnce(options: InMemoryOptions = {}) {
  connection = connectInMemory(answerWithItemBytes, options);
  await connection.clientSession.ready;
  const fromClient = countSends(connection.clientChannel);
  const fromServer = countSends(connection.serverChannel);
  const { client } = connection;
  await Promise.all(
    Array.from({ length: 64 }, async (_, i) => {
      const response = await client.fetch(`/item/${i}`);
      const body = await readAll(response.body);
      expect(await sha256Hex(body)).toBe(await sha256Hex(patternBytes(100 + i * 37)));
    }),
  );
  return { fromClient, fromServer };
}

const answerWithItemBytes = async (request: Request) => {
  const i = Number(new URL(request.url).pathname.split('/')[2]);
  return new Response(patternBytes(100 + i * 37));
};

/** Both sides announce BATCH (the default, said here so these tests do not depend on it). */
const BOTH_BATCH: InMemoryOptions = { client: { batch: true }, server: { batch: true } };

describe('BATCH', () => {
  it('packs 64 concurrent requests and their answers into a few messages', async () => {
    const { fromClient, fromServer } = await sixtyFourAtOnce(BOTH_BATCH);
    expect(fromClient.frames).toBeGreaterThanOrEqual(64);
    expect(fromServer.frames).toBeGreaterThanOrEqual(64);
    expect(fromClient.messages).toBeLessThan(fromClient.frames / 8);
    expect(fromServer.messages).toBeLessThan(fromServer.frames / 8);
  });

  it('never sends a BATCH to a peer whose HELLO does not accept it', async () => {
    const { fromClient, fromServer } = await sixtyFourAtOnce({ client: { batch: false } });
    expect(fromServer.batches).toBe(0);
    expect(fromClient.batches).toBe(0);
    expect(fromServer.messages).toBe(fromServer.frames);
  });

  for (const batch of [true, false]) {
    it(`echoes a 6 MiB upload to a slow reader intact (batch ${batch})`, async () => {
      // The handler's answer is the peer's body: reading it grants CREDIT while the scheduler
      // is building a frame of that answer.
      connection = connectInMemory(async (request) => new Response(request.body), {
        client: { batch },
        server: { batch },
      });
      const upload = patternBytes(6 * 1024 * 1024);
      const response = await connection.client.fetch('/echo', {
        method: 'POST',
        body: new Blob([upload]).stream(),
        duplex: 'half',
      } as RequestInit);
      const reader = response.body!.getReader();
      const parts: Uint8Array[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        await new Promise((r) => setTimeout(r, 2));
      }
      const echoed = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
      expect(await sha256Hex(echoed)).toBe(await sha256Hex(upload));
    });
  }

  it('sends nothing for a request cancelled before its REQUEST frame left', async () => {
    connection = connectInMemory(async () => new Response('ok'), BOTH_BATCH);
    await connection.clientSession.ready;
    // The REQUEST waits for the end of this turn; the cancel comes first.
    const ticket = connection.clientSession.startRequest(
      { method: 'GET', path: '/a', headers: [] },
      NO_BODY,
    );
    ticket.cancel(new Error('changed my mind'));
    await expect(ticket.peerMessage).rejects.toThrow('changed my mind');
    const after = await connection.client.fetch('/b');
    expect(await after.text()).toBe('ok');
    expect(connection.serverSession.isClosed).toBe(false);
  });

  it('sends what this turn scheduled before its GOAWAY', async () => {
    const seen: string[] = [];
    connection = connectInMemory(async (request) => {
      seen.push(new URL(request.url).pathname);
      return new Response('ok');
    }, BOTH_BATCH);
    await connection.clientSession.ready;
    const ticket = connection.clientSession.startRequest(
      { method: 'GET', path: '/last', headers: [] },
      NO_BODY,
    );
    ticket.peerMessage.catch(() => {});
    connection.clientSession.close();
    await connection.serverSession.closed;
    expect(seen).toEqual(['/last']);
  });

  it('handles the frames before a bad entry, as if they had arrived alone', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, {
      role: 'server',
      maxMessageSize: 256 * 1024,
      batch: true,
    });
    serveRequests(session, async () => new Response('ok'));
    channel.inject(rawFrames.hello({ batch: true }).buffer);
    channel.inject(rawFrames.batch(rawFrames.goAway('bye'), new Uint8Array([0xff, 0, 0])).buffer);
    expect(await session.closed).toBeUndefined();
  });

  it('refuses a BATCH when it did not announce one', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, {
      role: 'server',
      maxMessageSize: 256 * 1024,
      batch: false,
    });
    serveRequests(session, async () => new Response('never'));
    channel.inject(rawFrames.hello({ batch: true }).buffer);
    channel.inject(rawFrames.batch(rawFrames.ping(1), rawFrames.ping(2)).buffer);
    const reason = await session.closed;
    expect(reason).toBeInstanceOf(ProtocolError);
    expect((reason as ProtocolError).code).toBe('unexpected-frame');
  });

  it('handles the frames of a batch in order and stops at a GOAWAY inside it', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, {
      role: 'server',
      maxMessageSize: 256 * 1024,
      batch: true,
    });
    const seen: string[] = [];
    serveRequests(session, async (request) => {
      seen.push(new URL(request.url).pathname);
      return new Response('ok');
    });
    channel.inject(rawFrames.hello({ batch: true }).buffer);
    const get = (ticket: number, path: string) =>
      rawFrames.request(ticket, { method: 'GET', path, headers: [] });
    channel.inject(rawFrames.batch(get(1, '/first'), get(2, '/second')).buffer);
    channel.inject(rawFrames.batch(get(3, '/third'), rawFrames.goAway('bye'), get(4, '/x')).buffer);
    expect(await session.closed).toBeUndefined();
    expect(seen).toEqual(['/first', '/second', '/third']);
  });
});
