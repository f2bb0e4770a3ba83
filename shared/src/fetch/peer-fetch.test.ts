import {
  connectInMemory,
  type InMemoryConnection,
  patternBytes,
  readAll,
  sha256Hex,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedResponse } from '../buffered-response.js';

const MiB = 1024 * 1024;
let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

function connect(...args: Parameters<typeof connectInMemory>): InMemoryConnection {
  connection = connectInMemory(...args);
  return connection;
}

/** Upload: the server answers with the SHA-256 and length of what it received. */
async function hashingHandler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/download') {
    const size = Number(url.searchParams.get('size'));
    return new Response(patternBytes(size, size + 1));
  }
  const body = await readAll(request.body);
  return Response.json({
    sha256: await sha256Hex(body),
    length: body.byteLength,
    method: request.method,
  });
}

describe('byte-exact round trips', () => {
  for (const size of [0, 1024, MiB, 100 * MiB]) {
    it(`uploads ${size} bytes`, async () => {
      const { client, clientChannel, serverChannel } = connect(hashingHandler);
      const body = patternBytes(size, size + 1);
      const started = performance.now();
      const response = await client.fetch('/upload', { method: 'POST', body });
      const result = (await response.json()) as { sha256: string; length: number };
      const seconds = (performance.now() - started) / 1000;
      expect(result).toEqual({ sha256: await sha256Hex(body), length: size, method: 'POST' });
      expect(clientChannel.oversized).toEqual([]);
      expect(serverChannel.oversized).toEqual([]);
      if (size >= 100 * MiB)
        console.log(`in-memory upload 100 MiB: ${(size / MiB / seconds).toFixed(1)} MiB/s`);
    });

    it(`downloads ${size} bytes`, async () => {
      const { client, clientChannel, serverChannel } = connect(hashingHandler);
      const started = performance.now();
      const response = await client.fetch(`/download?size=${size}`);
      const body = await readAll(response.body);
      const seconds = (performance.now() - started) / 1000;
      expect(body.byteLength).toBe(size);
      expect(await sha256Hex(body)).toBe(await sha256Hex(patternBytes(size, size + 1)));
      expect(clientChannel.oversized).toEqual([]);
      expect(serverChannel.oversized).toEqual([]);
      if (size >= 100 * MiB)
        console.log(`in-memory download 100 MiB: ${(size / MiB / seconds).toFixed(1)} MiB/s`);
    });
  }

  it('sends a small request and its response as one frame each', async () => {
    const { client, clientChannel, serverChannel } = connect(async (req) =>
      Response.json({ got: await req.text() }),
    );
    await client.session.ready;
    const before = [clientChannel.messagesSent, serverChannel.messagesSent];
    const response = await client.fetch('/small', { method: 'PUT', body: 'tiny' });
    expect(await response.json()).toEqual({ got: 'tiny' });
    expect([
      clientChannel.messagesSent - before[0]!,
      serverChannel.messagesSent - before[1]!,
    ]).toEqual([1, 1]);
  });
});

describe('responses that arrive whole', () => {
  it('need no stream, and read like any response', async () => {
    const { client } = connect(async (req) =>
      new URL(req.url).pathname === '/small'
        ? Response.json({ small: true })
        : new Response(patternBytes(MiB, 3)),
    );
    const small = await client.fetch('/small');
    expect(small).toBeInstanceOf(BufferedResponse);
    expect(small.headers.get('content-type')).toBe('application/json');
    expect(await small.json()).toEqual({ small: true });
    expect(small.bodyUsed).toBe(true);
    const large = await client.fetch('/large');
    expect(large).not.toBeInstanceOf(BufferedResponse);
    expect((await readAll(large.body)).byteLength).toBe(MiB);
  });
});

describe('many requests at once', () => {
  it('matches 500 concurrent requests of random sizes and methods to their responses', async () => {
    const { client } = connect(
      async (request) => {
        const body = await readAll(request.body);
        return new Response(body, {
          status: 200,
          headers: {
            'x-method': request.method,
            'x-id': request.headers.get('x-id') ?? '',
            'x-path': new URL(request.url).pathname,
          },
        });
      },
      { serve: { maxConcurrentRequests: 500 } },
    );
    const methods = ['POST', 'PUT', 'PATCH', 'DELETE'];
    const results = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const size = Math.floor(Math.random() ** 3 * 512 * 1024);
        const body = patternBytes(size, i + 7);
        const method = methods[i % methods.length]!;
        const response = await client.fetch(`/item/${i}`, {
          method,
          body,
          headers: { 'x-id': String(i) },
        });
        const echoed = await readAll(response.body);
        return {
          ok:
            response.headers.get('x-id') === String(i) &&
            response.headers.get('x-method') === method,
          path: response.headers.get('x-path'),
          same: (await sha256Hex(echoed)) === (await sha256Hex(body)),
          i,
        };
      }),
    );
    for (const result of results) {
      expect(result).toEqual({ ok: true, path: `/item/${result.i}`, same: true, i: result.i });
    }
  });
});

describe('fetch semantics', () => {
  it('carries method, path, query and headers both ways', async () => {
    const { client } = connect(async (request) => {
      const url = new URL(request.url);
      return new Response(null, {
        status: 201,
        statusText: 'Made',
        headers: [
          [
            'x-seen',
            `${request.method} ${url.pathname}${url.search} ${request.headers.get('x-custom')}`,
          ],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
        ],
      });
    });
    const response = await client.fetch('/a/b?c=d&e=%20', {
      method: 'OPTIONS',
      headers: { 'X-Custom': 'yes' },
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.headers.get('x-seen')).toBe('OPTIONS /a/b?c=d&e=%20 yes');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('resolves error statuses as responses', async () => {
    const { client } = connect(async () => Response.json({ nope: true }, { status: 404 }));
    const response = await client.fetch('/missing');
    expect(response.ok).toBe(false);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ nope: true });
  });

  it('gives null bodies for HEAD and 204', async () => {
    const { client } = connect(async (request) =>
      request.method === 'HEAD'
        ? new Response('ignored', { headers: { 'x-h': '1' } })
        : new Response(null, { status: 204 }),
    );
    const head = await client.fetch('/', { method: 'HEAD' });
    expect(head.body).toBeNull();
    expect(head.headers.get('x-h')).toBe('1');
    const noContent = await client.fetch('/', { method: 'DELETE' });
    expect(noContent.status).toBe(204);
    expect(noContent.body).toBeNull();
  });

  it('accepts every standard body kind', async () => {
    const { client } = connect(async (request) =>
      Response.json({ type: request.headers.get('content-type'), text: await request.text() }),
    );
    const send = async (body: BodyInit) =>
      (await client.fetch('/', { method: 'POST', body })).json();
    expect(await send('plain')).toEqual({ type: 'text/plain;charset=UTF-8', text: 'plain' });
    expect(await send(new TextEncoder().encode('bytes'))).toMatchObject({ text: 'bytes' });
    expect(await send(new TextEncoder().encode('buffer').buffer)).toMatchObject({ text: 'buffer' });
    expect(await send(new Blob(['blob'], { type: 'text/x-blob' }))).toEqual({
      type: 'text/x-blob',
      text: 'blob',
    });
    expect(await send(new URLSearchParams({ a: '1', b: '2' }))).toEqual({
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
      text: 'a=1&b=2',
    });
    const form = new FormData();
    form.set('field', 'value');
    const multipart = (await send(form)) as { type: string; text: string };
    expect(multipart.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart.text).toContain('value');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('str'));
        controller.enqueue(new TextEncoder().encode('eam'));
        controller.close();
      },
    });
    expect(await send(stream)).toMatchObject({ text: 'stream' });
  });

  it('accepts Request objects and absolute URLs, sending only path and query', async () => {
    const { client } = connect(
      async (request) => new Response(new URL(request.url).pathname + new URL(request.url).search),
    );
    expect(await (await client.fetch(new Request('https://elsewhere.example/x?y=1'))).text()).toBe(
      '/x?y=1',
    );
    expect(await (await client.fetch(new URL('http://a.example/z'))).text()).toBe('/z');
  });

  it('rejects a GET with a body like fetch does', async () => {
    const { client } = connect(async () => new Response('never'));
    await expect(client.fetch('/', { method: 'GET', body: 'x' })).rejects.toThrow(TypeError);
  });
});
