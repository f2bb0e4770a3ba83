/**
 * More header fields than the protocol allows refuse one exchange (431 for a request, 502
 * for a response); the session and the other exchanges in flight go on.
 */
import {
  connectInMemory,
  FakeChannel,
  type InMemoryConnection,
  rawFrames,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_HEADER_COUNT } from '../constants.js';
import { createPeerFetch } from '../fetch/peer-fetch.js';
import { decodeReason } from '../wire/control.js';
import { FrameType } from '../wire/frame-types.js';
import { openSession } from './session.js';

const TOO_MANY = MAX_HEADER_COUNT + 44;
const manyHeaders = (n: number) =>
  Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'] as [string, string]);

let connection: InMemoryConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** A server whose `/slow` answers only when released, so a request is in flight meanwhile. */
function connectWithSlowRoute() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const seen: string[] = [];
  connection = connectInMemory(async (request) => {
    const path = new URL(request.url).pathname;
    seen.push(path);
    if (path === '/slow') {
      await released;
      return new Response('slow done');
    }
    if (path === '/many') return new Response('x', { headers: manyHeaders(TOO_MANY) });
    return new Response(`fields: ${[...request.headers].length}`);
  });
  return { connection, release, seen };
}

describe('too many header fields', () => {
  it('in a request: 431 for that request, which the handler never sees', async () => {
    const { connection, release, seen } = connectWithSlowRoute();
    const slow = connection.client.fetch('/slow');
    const refused = await connection.client.fetch('/big', {
      method: 'POST',
      body: 'payload',
      headers: manyHeaders(TOO_MANY),
    });
    expect(refused.status).toBe(431);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({
      status: 431,
      detail: expect.stringContaining(`${TOO_MANY + 3}`),
    });
    expect(seen).not.toContain('/big');
    // The limit itself is fine.
    const atLimit = await connection.client.fetch('/ok', {
      headers: manyHeaders(MAX_HEADER_COUNT - 2),
    });
    expect(await atLimit.text()).toMatch(/^fields: /);
    release();
    expect(await (await slow).text()).toBe('slow done');
    expect(connection.clientSession.isClosed).toBe(false);
  });

  it('in an answer the server would send: 502 for that request', async () => {
    const { connection, release } = connectWithSlowRoute();
    const slow = connection.client.fetch('/slow');
    const refused = await connection.client.fetch('/many');
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({
      detail: expect.stringContaining(`${TOO_MANY + 1} header fields`),
    });
    release();
    expect(await (await slow).text()).toBe('slow done');
    expect(connection.serverSession.isClosed).toBe(false);
  });

  it('in an answer that arrives: 502 for that request, and the peer is told to stop sending it', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, { role: 'client', maxMessageSize: 256 * 1024 });
    channel.inject(rawFrames.hello().buffer);
    await session.ready;
    const client = createPeerFetch(session);
    const first = client.fetch('/first');
    const second = client.fetch('/second');
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Ticket 1's answer is over the limit and has more body to come.
    channel.inject(
      rawFrames.response(
        1,
        { status: 200, statusText: 'OK', headers: manyHeaders(TOO_MANY) },
        new Uint8Array(3),
        false,
      ).buffer,
    );
    const refused = await first;
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({
      status: 502,
      detail: expect.stringContaining(`${TOO_MANY} header fields`),
    });
    const cancel = channel.sentFrames().find((f) => f.type === FrameType.Cancel && f.ticket === 1);
    expect(cancel, 'a CANCEL stops the rest of that answer').toBeDefined();
    expect(decodeReason(cancel!.payload).message).toMatch(/header fields/);
    // Late body bytes of the refused answer are ignored; the other request is answered.
    channel.inject(rawFrames.data(1, new Uint8Array(3), true).buffer);
    channel.inject(
      rawFrames.response(
        2,
        { status: 200, statusText: 'OK', headers: [] },
        new TextEncoder().encode('fine'),
      ).buffer,
    );
    expect(await (await second).text()).toBe('fine');
    expect(session.isClosed).toBe(false);
    expect(channel.sentFrames().some((f) => f.type === FrameType.Error)).toBe(false);
    session.close();
  });
});
