import {
  connectInMemory,
  FakeChannel,
  type InMemoryConnection,
  rawFrames,
  sleep,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSession } from './session.js';

let connection: InMemoryConnection | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await connection?.close();
  connection = undefined;
});

describe('liveness', () => {
  it('measures round-trip time with pings while idle', async () => {
    connection = connectInMemory(async () => new Response('x'), {
      channel: { latencyMs: 10 },
      client: { pingIntervalMs: 50 },
    });
    await sleep(200);
    expect(connection.clientSession.rttMs).toBeGreaterThanOrEqual(19);
    expect(connection.clientSession.rttMs).toBeLessThan(150);
    expect(connection.clientSession.isClosed).toBe(false);
  });

  it('measures round-trip time on both sides even when the peer always pings first', async () => {
    connection = connectInMemory(async () => new Response('x'), {
      channel: { latencyMs: 5 },
      server: { pingIntervalMs: 20 },
      client: { pingIntervalMs: 50 },
    });
    await sleep(300);
    expect(connection.serverSession.rttMs).toBeGreaterThanOrEqual(9);
    expect(connection.clientSession.rttMs).toBeGreaterThanOrEqual(9);
  });

  it('fails pending requests with the dead-session error when the peer goes silent', async () => {
    connection = connectInMemory(() => new Promise<Response>(() => {}), {
      client: { pingIntervalMs: 50, deadAfterMs: 300 },
      server: { pingIntervalMs: 50, deadAfterMs: 300 },
    });
    await connection.clientSession.ready;
    const pending = connection.client.fetch('/');
    await sleep(20);
    connection.serverChannel.blackhole = true;
    connection.clientChannel.blackhole = true;
    const started = Date.now();
    await expect(pending).rejects.toMatchObject({ name: 'PeerFetchSessionDeadError' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(1000);
    expect(await connection.clientSession.closed).toMatchObject({
      name: 'PeerFetchSessionDeadError',
    });
  });

  it('stays alive through long quiet periods while the peer answers pings', async () => {
    connection = connectInMemory(async () => new Response('still here'), {
      client: { pingIntervalMs: 30, deadAfterMs: 120 },
      server: { pingIntervalMs: 30, deadAfterMs: 120 },
    });
    await sleep(500);
    expect(await (await connection.client.fetch('/')).text()).toBe('still here');
  });

  it('probes the peer on demand: true at its first answer, false when nothing comes back', async () => {
    connection = connectInMemory(async () => new Response('x'), {
      channel: { latencyMs: 10 },
      // Idle pings far apart: only the probe's own ping can answer within the test.
      client: { pingIntervalMs: 60_000 },
      server: { pingIntervalMs: 60_000 },
    });
    await connection.clientSession.ready;
    let started = Date.now();
    expect(await connection.clientSession.probe(1000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);

    connection.serverChannel.blackhole = true;
    connection.clientChannel.blackhole = true;
    started = Date.now();
    expect(await connection.clientSession.probe(150)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(connection.clientSession.isClosed).toBe(false);

    connection.clientSession.close();
    expect(await connection.clientSession.probe(1000)).toBe(false);
  });
});

describe('closing', () => {
  it('fails everything pending with the named closed error, on both sides', async () => {
    let serverSignal: AbortSignal | undefined;
    connection = connectInMemory(
      (request) =>
        new Promise<Response>(() => {
          serverSignal = request.signal;
        }),
    );
    const pending = [connection.client.fetch('/a'), connection.client.fetch('/b')];
    await sleep(20);
    connection.clientSession.close();
    for (const request of pending)
      await expect(request).rejects.toMatchObject({ name: 'PeerFetchSessionClosedError' });
    expect(await connection.clientSession.closed).toBeUndefined();
    expect(await connection.serverSession.closed).toBeUndefined();
    expect(serverSignal?.aborted).toBe(true);
    await expect(connection.client.fetch('/c')).rejects.toMatchObject({
      name: 'PeerFetchSessionClosedError',
    });
  });

  it('fails a body that is still streaming when the session closes', async () => {
    connection = connectInMemory(async () => new Response(new ReadableStream({ pull() {} })));
    const response = await connection.client.fetch('/');
    const reader = response.body!.getReader();
    connection.serverSession.close();
    await expect(reader.read()).rejects.toMatchObject({ name: 'PeerFetchSessionClosedError' });
  });

  it('closes when the channel closes under it', async () => {
    connection = connectInMemory(async () => new Response('x'));
    await connection.clientSession.ready;
    connection.serverChannel.close();
    expect(await connection.clientSession.closed).toMatchObject({
      name: 'PeerFetchSessionClosedError',
    });
  });

  it('once the peer said GOAWAY, sends nothing more and closes the channel itself', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, { role: 'client', maxMessageSize: 65536 });
    channel.inject(rawFrames.hello().buffer);
    await session.ready;
    const sentBefore = channel.sent.length;
    // A PING arriving after the GOAWAY gets no PONG.
    channel.inject(rawFrames.goAway('bye').buffer);
    channel.inject(rawFrames.ping(7).buffer);
    expect(await session.closed).toBeUndefined();
    session.close(); // closing again after the peer did changes nothing
    expect(channel.sent.length).toBe(sentBefore);
    expect(channel.readyState).toBe('closed');
  });

  /** An open session on a hand-driven channel, fake timers on, a 500 ms close grace. */
  async function openWithGrace(role: 'client' | 'server' = 'client') {
    vi.useFakeTimers();
    const channel = new FakeChannel();
    const session = openSession(channel, { role, maxMessageSize: 65536, closeGraceMs: 500 });
    channel.inject(rawFrames.hello().buffer);
    await session.ready;
    return { channel, session };
  }

  it('after saying GOAWAY, leaves closing the channel to the peer', async () => {
    const { channel, session } = await openWithGrace();
    const touched = vi.spyOn(channel, 'close');
    session.close();
    expect(channel.sentFrames().at(-1)?.type).toBe(0x04);
    await vi.advanceTimersByTimeAsync(400);
    expect(touched).not.toHaveBeenCalled();
    channel.closeFromPeer();
    await vi.advanceTimersByTimeAsync(1000);
    expect(touched).not.toHaveBeenCalled();
    expect(channel.listenerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  for (const role of ['client', 'server'] as const) {
    it(`when both sides said goodbye, ${role === 'client' ? 'closes at once as the client' : 'waits for the client to close as the server'}`, async () => {
      const { channel, session } = await openWithGrace(role);
      session.close();
      // The peer's own GOAWAY crossed ours.
      channel.inject(rawFrames.goAway('bye').buffer);
      await vi.advanceTimersByTimeAsync(100);
      expect(channel.readyState).toBe(role === 'client' ? 'closed' : 'open');
      channel.closeFromPeer();
      expect(channel.listenerCount).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });
  }

  it('closes the channel itself when the peer has not, a grace period after GOAWAY', async () => {
    const { channel, session } = await openWithGrace();
    session.close();
    await vi.advanceTimersByTimeAsync(499);
    expect(channel.readyState).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.readyState).toBe('closed');
    expect(channel.listenerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts the grace once its GOAWAY has left a slow link, so the peer closes the channel', async () => {
    // 256 KiB/s: the upload's window queued ahead of the GOAWAY takes about 2 s to leave.
    connection = connectInMemory(async (request) => new Response(await request.text()), {
      channel: { bytesPerMs: 256 },
      client: { closeGraceMs: 300 },
    });
    await connection.clientSession.ready;
    const upload = connection.client
      .fetch('/', { method: 'POST', body: new Uint8Array(4 * 1024 * 1024) })
      .catch((error: unknown) => error);
    await expect.poll(() => connection!.clientChannel.bufferedAmount).toBeGreaterThan(256 * 1024);
    const closedByClient = vi.spyOn(connection.clientChannel, 'close');
    connection.clientSession.close();
    // The server heard the GOAWAY and closed the channel; the client's grace never ran out.
    expect(await connection.serverSession.closed).toBeUndefined();
    await expect.poll(() => connection!.clientChannel.readyState, { timeout: 5000 }).toBe('closed');
    expect(closedByClient).not.toHaveBeenCalled();
    await upload;
    connection = undefined;
  });

  it('waits for a channel that is still connecting', async () => {
    connection = connectInMemory(async () => new Response('late but fine'), {
      channel: { openAfterMs: 50 },
    });
    expect(await (await connection.client.fetch('/')).text()).toBe('late but fine');
  });

  it('leaves no timers or listeners behind', async () => {
    vi.useFakeTimers();
    const channel = new FakeChannel();
    const session = openSession(channel, { role: 'client', maxMessageSize: 65536 });
    channel.inject(rawFrames.hello().buffer);
    await session.ready;
    expect(channel.listenerCount).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    session.close();
    channel.closeFromPeer();
    expect(channel.listenerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timers behind after a full exchange over the in-memory channel', async () => {
    vi.useFakeTimers();
    connection = connectInMemory(async (request) => new Response(await request.text()));
    const pending = connection.client.fetch('/', { method: 'POST', body: 'hi' });
    await vi.advanceTimersByTimeAsync(50);
    expect(await (await pending).text()).toBe('hi');
    await connection.clientSession.close();
    await vi.advanceTimersByTimeAsync(50);
    expect(vi.getTimerCount()).toBe(0);
    connection = undefined;
  });
});

describe('opening', () => {
  it('handles a HELLO that arrives before the open event', async () => {
    const channel = new FakeChannel();
    channel.readyState = 'connecting';
    const session = openSession(channel, { role: 'server', maxMessageSize: 65536 });
    channel.readyState = 'open';
    channel.inject(rawFrames.hello().buffer);
    channel.dispatchEvent(new Event('open'));
    await session.ready;
    expect(channel.sentFrames().filter((frame) => frame.type === 0x01)).toHaveLength(1);
    session.close();
  });
});
