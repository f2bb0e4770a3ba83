import { afterEach, describe, expect, it } from 'vitest';
import { LANE_CHANNEL_ID } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { serveRequests } from '../server/serve-requests.js';
import { patternBytes, readAll, sha256Hex } from '../test-support/bytes.js';
import { FakeChannel } from '../test-support/fake-channel.js';
import { connectInMemory, type InMemoryConnection } from '../testing/connect.js';
import { framesOf, rawFrames } from '../testing/frames.js';
import type { MemoryChannel } from '../testing/memory-channel.js';
import type { Frame } from '../wire/frame.js';
import { FrameFlag, FrameType } from '../wire/frame-types.js';
import { openSession } from './session.js';

const GET = { method: 'GET', path: '/', headers: [] };

let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** Records every frame a channel end sends from now on. */
function recordFrames(channel: MemoryChannel): Frame[] {
  const frames: Frame[] = [];
  const send = channel.send.bind(channel);
  channel.send = (data) => {
    frames.push(...framesOf(data));
    send(data);
  };
  return frames;
}

const SMALL = 'small answer';
const DOWNLOAD = patternBytes(1024 * 1024, 7);

function smallOrDownload(request: Request): Response {
  const { pathname } = new URL(request.url);
  if (pathname === '/download') return new Response(DOWNLOAD);
  if (pathname === '/wait') {
    return new Response(
      new ReadableStream({
        start(controller) {
          request.signal.addEventListener('abort', () => controller.error(request.signal.reason));
        },
      }),
    );
  }
  return new Response(SMALL);
}

describe('the lane (PROTOCOL.md §1.1)', () => {
  it('carries whole small messages; bodies in several frames stay on the main channel', async () => {
    connection = connectInMemory(smallOrDownload, { lane: true });
    await connection.clientSession.ready;
    const onClientMain = recordFrames(connection.clientChannel);
    const onServerMain = recordFrames(connection.serverChannel);
    const onClientLane = recordFrames(connection.clientLane!);
    const onServerLane = recordFrames(connection.serverLane!);

    expect(await (await connection.client.fetch('/small')).text()).toBe(SMALL);
    expect(onClientLane.map((f) => [f.type, f.flags])).toEqual([
      [FrameType.Request, FrameFlag.End],
    ]);
    expect(onServerLane.map((f) => [f.type, f.flags])).toEqual([
      [FrameType.Response, FrameFlag.End],
    ]);
    expect(onClientMain).toEqual([]);
    expect(onServerMain).toEqual([]);

    const download = await connection.client.fetch('/download');
    expect(await sha256Hex(await readAll(download.body))).toBe(await sha256Hex(DOWNLOAD));
    // The request is whole, so it took the lane; the answer's frames all took the main channel.
    expect(onClientLane).toHaveLength(2);
    expect(onServerLane).toHaveLength(1);
    const answer = onServerMain.filter((f) => f.ticket === 2);
    expect(answer[0]?.type).toBe(FrameType.Response);
    expect(answer.at(-1)?.flags).toBe(FrameFlag.End);
    expect(onClientMain.every((f) => f.type === FrameType.Credit)).toBe(true);
  });

  it('delivers a small answer while a download is still queued on the main channel', async () => {
    // 2 MiB/s links: the download's window takes a quarter of a second to drain.
    connection = connectInMemory(smallOrDownload, { lane: true, channel: { bytesPerMs: 2048 } });
    await connection.clientSession.ready;
    const download = await connection.client.fetch('/download');
    const reader = download.body!.getReader();
    await reader.read();
    expect(await (await connection.client.fetch('/small')).text()).toBe(SMALL);
    // The small answer overtook download bytes that were sent before it.
    expect(connection.serverChannel.bufferedAmount).toBeGreaterThan(64 * 1024);
    await reader.cancel();
  });

  it('without it, the same small answer waits behind the queued download', async () => {
    connection = connectInMemory(smallOrDownload, { channel: { bytesPerMs: 2048 } });
    await connection.clientSession.ready;
    const download = await connection.client.fetch('/download');
    const reader = download.body!.getReader();
    await reader.read();
    const queuedBefore = connection.serverChannel.bufferedAmount;
    expect(queuedBefore).toBeGreaterThan(64 * 1024);
    expect(await (await connection.client.fetch('/small')).text()).toBe(SMALL);
    expect(connection.serverChannel.bufferedAmount).toBeLessThan(queuedBefore);
    await reader.cancel();
  });

  it('is not used when the peer names none, and is closed', async () => {
    connection = connectInMemory(smallOrDownload, { lane: { client: true, server: false } });
    await connection.clientSession.ready;
    const lane = connection.clientLane!;
    expect(await (await connection.client.fetch('/small')).text()).toBe(SMALL);
    expect(lane.messagesSent).toBe(0);
    expect(['closing', 'closed']).toContain(lane.readyState);
  });

  it('carries the CANCEL of a request that went on it, behind the request', async () => {
    const aborted: unknown[] = [];
    connection = connectInMemory(
      (request) => {
        request.signal.addEventListener('abort', () => aborted.push(request.signal.reason));
        return smallOrDownload(request);
      },
      { lane: true },
    );
    await connection.clientSession.ready;
    const onClientLane = recordFrames(connection.clientLane!);
    const onClientMain = recordFrames(connection.clientChannel);
    const controller = new AbortController();
    const response = await connection.client.fetch('/wait', { signal: controller.signal });
    const reading = readAll(response.body).catch((error: unknown) => error);
    controller.abort();
    await reading;
    await expect.poll(() => aborted.length).toBe(1);
    expect(onClientLane.map((f) => f.type)).toEqual([FrameType.Request, FrameType.Cancel]);
    expect(onClientMain.some((f) => f.type === FrameType.Cancel)).toBe(false);
  });

  it('is closed with the main channel by the side that received GOAWAY', async () => {
    connection = connectInMemory(smallOrDownload, { lane: true });
    await connection.clientSession.ready;
    connection.clientSession.close();
    await connection.serverSession.closed;
    await expect.poll(() => connection!.serverLane!.readyState).toBe('closed');
    await expect.poll(() => connection!.serverChannel.readyState).toBe('closed');
    connection = undefined;
  });
});

/** A server session with a lane whose peer is played by hand on both channels. */
function serverWithRawPeer(options: { peerLane?: number | undefined } = {}) {
  const channel = new FakeChannel();
  const lane = new FakeChannel();
  const session = openSession(channel, { role: 'server', maxMessageSize: 256 * 1024, lane });
  const seen: string[] = [];
  serveRequests(session, async (request) => {
    seen.push(new URL(request.url).pathname);
    return new Promise<Response>(() => {});
  });
  const peerLane = 'peerLane' in options ? options.peerLane : LANE_CHANNEL_ID;
  const hello = () =>
    channel.inject(rawFrames.hello(peerLane === undefined ? {} : { lane: peerLane }).buffer);
  return { channel, lane, session, seen, hello };
}

async function closedWith(session: { closed: Promise<Error | undefined> }, code: string) {
  const reason = await session.closed;
  expect(reason).toBeInstanceOf(ProtocolError);
  expect((reason as ProtocolError).code).toBe(code);
}

describe('a lane played by hand', () => {
  it('announces the lane in HELLO', () => {
    const { channel } = serverWithRawPeer();
    const hello = channel.sentFrames()[0]!;
    expect(hello.type).toBe(FrameType.Hello);
    expect(new TextDecoder().decode(hello.payload)).toContain('lane');
  });

  for (const [name, frame] of [
    ['a PING', rawFrames.ping(1)],
    ['a DATA frame', rawFrames.data(1, new Uint8Array(4))],
    ['a CREDIT', rawFrames.credit(1, 100)],
    ['a REQUEST without END', rawFrames.request(1, GET, new Uint8Array(4), false)],
    ['a GOAWAY', rawFrames.goAway('bye')],
  ] as const) {
    it(`refuses ${name} on the lane`, async () => {
      const setup = serverWithRawPeer();
      setup.hello();
      setup.lane.inject(frame.buffer);
      await closedWith(setup.session, 'unexpected-frame');
    });
  }

  it('takes ticket ids in order per channel: the lane may overtake the main channel', async () => {
    const setup = serverWithRawPeer();
    setup.hello();
    await setup.session.ready;
    setup.lane.inject(rawFrames.request(2, { ...GET, path: '/two' }).buffer);
    setup.channel.inject(rawFrames.request(1, { ...GET, path: '/one' }).buffer);
    await expect.poll(() => setup.seen).toEqual(['/two', '/one']);
    expect(setup.session.isClosed).toBe(false);
  });

  it('still refuses a ticket id used on the other channel', async () => {
    const setup = serverWithRawPeer();
    setup.hello();
    setup.lane.inject(rawFrames.request(3, GET).buffer);
    setup.channel.inject(rawFrames.request(3, GET).buffer);
    await closedWith(setup.session, 'bad-ticket');
  });

  it('holds lane messages that overtake the HELLO until the session opens', async () => {
    const setup = serverWithRawPeer();
    setup.lane.inject(rawFrames.request(1, { ...GET, path: '/early' }).buffer);
    setup.hello();
    await expect.poll(() => setup.seen).toEqual(['/early']);
  });

  it('refuses lane messages when the HELLO named no lane, and closes its own', async () => {
    const setup = serverWithRawPeer({ peerLane: undefined });
    setup.lane.inject(rawFrames.request(1, GET).buffer);
    setup.hello();
    await closedWith(setup.session, 'unexpected-frame');
    expect(setup.seen).toEqual([]);
  });

  it('closes a lane the peer did not name, and then ignores it', async () => {
    const setup = serverWithRawPeer({ peerLane: LANE_CHANNEL_ID + 1 });
    setup.hello();
    await setup.session.ready;
    expect(setup.lane.readyState).toBe('closed');
    expect(setup.lane.listenerCount).toBe(0);
    setup.lane.inject(rawFrames.request(1, GET).buffer);
    expect(setup.session.isClosed).toBe(false);
  });

  it('ends the session with GOAWAY when the lane closes under it', async () => {
    const setup = serverWithRawPeer();
    setup.hello();
    await setup.session.ready;
    setup.lane.closeFromPeer();
    const reason = await setup.session.closed;
    expect(reason?.message).toMatch(/lane closed/);
    expect(setup.channel.sentFrames().at(-1)?.type).toBe(FrameType.GoAway);
  });

  it('after its GOAWAY, leaves the lane to the peer that closes the main channel', async () => {
    const setup = serverWithRawPeer();
    setup.hello();
    await setup.session.ready;
    setup.session.close();
    setup.channel.closeFromPeer();
    expect(setup.lane.listenerCount).toBe(0);
    expect(setup.lane.readyState).toBe('open');
  });
});
