import {
  connectInMemory,
  countingStream,
  type InMemoryConnection,
  patternBytes,
  readAll,
  sha256Hex,
  sleep,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, MIN_FRAME_SIZE } from '../constants.js';

const MiB = 1024 * 1024;
let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

describe('fairness', () => {
  it('completes a small request while a 50 MiB response streams to a slow reader', async () => {
    const big = patternBytes(50 * MiB);
    connection = connectInMemory(
      async (request) =>
        new URL(request.url).pathname === '/big'
          ? new Response(countingStream(big).stream)
          : new Response('small'),
      // A link of about 100 MiB/s, so the big download takes a while on its own.
      { channel: { bytesPerMs: 100 * 1024 } },
    );
    const { client } = connection;
    const bigResponse = await client.fetch('/big');
    const reader = bigResponse.body!.getReader();
    let received = 0;
    let bigDone = false;
    const slowRead = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        await sleep(1);
      }
      bigDone = true;
    })();
    await sleep(50);
    const started = performance.now();
    const small = await client.fetch('/small');
    expect(await small.text()).toBe('small');
    const smallMs = performance.now() - started;
    expect(bigDone).toBe(false);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(50 * MiB);
    console.log(`small request during a 50 MiB download: ${smallMs.toFixed(1)} ms`);
    await slowRead;
    expect(received).toBe(50 * MiB);
  });

  it('interleaves two large downloads instead of serving them one after the other', async () => {
    const body = patternBytes(8 * MiB);
    connection = connectInMemory(async () => new Response(countingStream(body).stream), {
      channel: { bytesPerMs: 50 * 1024 },
    });
    const { client } = connection;
    const order: string[] = [];
    const download = async (name: string) => {
      const response = await client.fetch(`/${name}`);
      for await (const _ of response.body!) order.push(name);
      order.push(`${name}:end`);
    };
    await Promise.all([download('a'), download('b')]);
    const firstEnd = Math.min(order.indexOf('a:end'), order.indexOf('b:end'));
    const beforeFirstEnd = order.slice(0, firstEnd);
    expect(beforeFirstEnd.filter((x) => x === 'a').length).toBeGreaterThan(5);
    expect(beforeFirstEnd.filter((x) => x === 'b').length).toBeGreaterThan(5);
  });
});

describe('flow control', () => {
  it('pauses the sender when the reader stops reading, then resumes', async () => {
    const body = patternBytes(32 * MiB);
    const source = countingStream(body, 64 * 1024);
    connection = connectInMemory(async () => new Response(source.stream));
    const response = await connection.client.fetch('/');
    await sleep(300);
    const pulledWhileStalled = source.pulled();
    // One window in flight or queued at the reader, plus the sender's read-ahead of two frames.
    expect(pulledWhileStalled).toBeLessThanOrEqual(
      DEFAULT_WINDOW + 2 * DEFAULT_MAX_FRAME_SIZE + 64 * 1024,
    );
    await sleep(200);
    expect(source.pulled()).toBe(pulledWhileStalled);
    const received = await readAll(response.body);
    expect(await sha256Hex(received)).toBe(await sha256Hex(body));
  });

  it('bounds an upload the handler does not read yet', async () => {
    const body = patternBytes(16 * MiB);
    const source = countingStream(body, 64 * 1024);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    connection = connectInMemory(async (request) => {
      await gate;
      return Response.json({ hash: await sha256Hex(await readAll(request.body)) });
    });
    const pending = connection.client.fetch('/', {
      method: 'POST',
      body: source.stream,
      duplex: 'half',
    } as RequestInit);
    await sleep(300);
    expect(source.pulled()).toBeLessThanOrEqual(
      DEFAULT_WINDOW + 2 * DEFAULT_MAX_FRAME_SIZE + 64 * 1024,
    );
    release();
    expect(await (await pending).json()).toEqual({ hash: await sha256Hex(body) });
  });

  it('sends a download in full frames, not slivers of leftover credit', async () => {
    const body = patternBytes(8 * MiB);
    connection = connectInMemory(async () => new Response(countingStream(body).stream));
    const before = connection.serverChannel.messagesSent;
    const response = await connection.client.fetch('/');
    expect(await sha256Hex(new Uint8Array(await response.arrayBuffer()))).toBe(
      await sha256Hex(body),
    );
    // The window (512 KiB) is two full frames' payload and a few bytes; a sender that spent
    // every last byte of credit sent those few bytes as a message of their own, about one
    // for every two frames.
    const fullFrames = Math.ceil(body.byteLength / (DEFAULT_MAX_FRAME_SIZE - 6));
    expect(connection.serverChannel.messagesSent - before).toBeLessThanOrEqual(fullFrames + 2);
  });

  it('reads a byte stream into buffers of its own, not ones the stream makes', async () => {
    const body = patternBytes(4 * MiB + 1234);
    const viewSizes = new Set<number>();
    let position = 0;
    // A source that fills whatever buffer it is handed, up to 100,000 bytes at a time.
    const source = () =>
      new ReadableStream({
        type: 'bytes',
        autoAllocateChunkSize: 1000,
        pull(controller) {
          const request = controller.byobRequest!;
          const view = new Uint8Array(request.view!.buffer, request.view!.byteOffset);
          viewSizes.add(view.buffer.byteLength);
          const n = Math.min(view.byteLength, 100_000, body.byteLength - position);
          view.set(body.subarray(position, position + n));
          position += n;
          request.respond(n);
          if (position === body.byteLength) controller.close();
        },
      });
    connection = connectInMemory(async () => new Response(source()));
    const response = await connection.client.fetch('/');
    expect(await sha256Hex(new Uint8Array(await response.arrayBuffer()))).toBe(
      await sha256Hex(body),
    );
    // Frame-sized buffers, handed back again and again; never the stream's own 1,000 bytes.
    expect([...viewSizes]).toEqual([DEFAULT_MAX_FRAME_SIZE]);
  });

  it('never sends a frame over the peer maximum message size', async () => {
    connection = connectInMemory(async (request) => new Response(await request.arrayBuffer()), {
      channel: { maxMessageSize: MIN_FRAME_SIZE },
    });
    const body = patternBytes(3 * MiB + 17);
    const response = await connection.client.fetch('/', { method: 'POST', body });
    expect(await sha256Hex(new Uint8Array(await response.arrayBuffer()))).toBe(
      await sha256Hex(body),
    );
    for (const channel of [connection.clientChannel, connection.serverChannel]) {
      expect(channel.oversized).toEqual([]);
      expect(channel.largestSent).toBeLessThanOrEqual(MIN_FRAME_SIZE);
      expect(channel.largestSent).toBeGreaterThan(MIN_FRAME_SIZE / 2);
    }
  });

  it('keeps the channel queue near the high-water mark by polling when bufferedamountlow never fires', async () => {
    const highWaterMark = 512 * 1024;
    connection = connectInMemory(async () => new Response(patternBytes(12 * MiB)), {
      channel: { firesBufferedAmountLow: false, bytesPerMs: 64 * 1024 },
      server: { highWaterMark, lowWaterMark: 128 * 1024 },
    });
    const channel = connection.serverChannel;
    let peak = 0;
    const send = channel.send.bind(channel);
    channel.send = (data) => {
      peak = Math.max(peak, channel.bufferedAmount);
      send(data);
    };
    const response = await connection.client.fetch('/');
    expect((await readAll(response.body)).byteLength).toBe(12 * MiB);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(highWaterMark);
  });
});
