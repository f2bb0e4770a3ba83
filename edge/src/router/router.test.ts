import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BufferedResponse } from '@peerfetch/shared';
import { describe, expect, it } from 'vitest';
import { createRouter } from './router.js';
import { useTestUpstream } from './test-upstream.js';
import { BUFFERED_ANSWER_BYTES, createUpstreamHandler, stallOf, upstreamUrl } from './upstream.js';

const upstream = useTestUpstream();

function route(options: { timeoutMs?: number; maxBodyBytes?: number; baseUrl?: string } = {}) {
  return createRouter([
    {
      prefix: '/up',
      handler: createUpstreamHandler({
        baseUrl: options.baseUrl ?? `${upstream.url}/base`,
        label: '/up',
        timeoutMs: options.timeoutMs ?? 2000,
        maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      }),
    },
    { prefix: '/', handler: async (_req, rest) => new Response(`device:${rest}`) },
  ]);
}

const req = (path: string, init?: RequestInit) =>
  new Request(`http://peerfetch.invalid${path}`, { duplex: 'half', ...init } as RequestInit);

describe('router', () => {
  it('picks the longest prefix and passes the rest with the query', async () => {
    upstream.handle = (r, res) => res.end(`upstream:${r.url}`);
    const router = route();
    expect(await (await router(req('/up/a/b?x=1'))).text()).toBe('upstream:/base/a/b?x=1');
    expect(await (await router(req('/up'))).text()).toBe('upstream:/base/');
    expect(await (await router(req('/upx/y'))).text()).toBe('device:/upx/y');
  });

  it('answers 404 problem+json when no route matches', async () => {
    const router = createRouter([]);
    const response = await router(req('/nothing'));
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toContain('/nothing');
  });

  it('refuses encoded traversal before any handler runs', async () => {
    let reached = false;
    upstream.handle = (_r, res) => {
      reached = true;
      res.end();
    };
    const router = route();
    for (const path of ['/up/..%2fsecret', '/up/a%5c..%5cb', '/up/x%2e%2e']) {
      const response = await router(req(path));
      expect(response.status, path).toBe(400);
    }
    // The URL parser resolves whole encoded dot segments first: this is /x, not below /up.
    expect(await (await router(req('/up/%2e%2e/x'))).text()).toBe('device:/x');
    expect(reached).toBe(false);
  });

  it('forwards method, body and end-to-end headers, dropping hop-by-hop ones both ways', async () => {
    upstream.handle = (r, res) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        res.setHeader('x-seen', JSON.stringify({ m: r.method, h: r.headers }));
        res.setHeader('x-reply', 'yes');
        res.setHeader('keep-alive', 'timeout=5');
        res.setHeader('x-private', 'drop-me');
        res.setHeader('connection', 'x-private');
        res.end(Buffer.concat(chunks));
      });
    };
    const response = await route()(
      req('/up/echo', {
        method: 'PUT',
        body: 'hello body',
        headers: {
          'x-custom': 'v1',
          'proxy-authorization': 'secret',
          'x-hop': '1',
          connection: 'x-hop',
        },
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello body');
    const seen = JSON.parse(response.headers.get('x-seen')!);
    expect(seen.m).toBe('PUT');
    expect(seen.h['x-custom']).toBe('v1');
    expect(seen.h['proxy-authorization']).toBeUndefined();
    expect(seen.h['x-hop']).toBeUndefined();
    expect(response.headers.get('x-reply')).toBe('yes');
    expect(response.headers.get('keep-alive')).toBeNull();
    expect(response.headers.get('x-private')).toBeNull();
  });

  it('passes a compressed body through as it is, and every Set-Cookie', async () => {
    const compressed = gzipSync('hello, compressed world');
    upstream.handle = (_r, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.setHeader('content-length', compressed.length);
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.end(compressed);
    };
    const response = await route()(req('/up/z'));
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('content-length')).toBe(String(compressed.length));
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const body = Buffer.from(await response.arrayBuffer());
    expect(gunzipSync(body).toString()).toBe('hello, compressed world');
  });

  it('answers 204 and HEAD with no body', async () => {
    upstream.handle = (r, res) => {
      res.writeHead(r.method === 'HEAD' ? 200 : 204, { 'content-length': '0' });
      res.end();
    };
    const empty = await route()(req('/up/none', { method: 'DELETE' }));
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const head = await route()(req('/up/none', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('passes redirects to the client instead of following them', async () => {
    upstream.handle = (_r, res) => {
      res.writeHead(302, { location: 'http://elsewhere.invalid/' });
      res.end();
    };
    const response = await route()(req('/up/r'));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://elsewhere.invalid/');
  });

  it('answers 502 when the upstream refuses the connection', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const response = await route({ baseUrl: `http://127.0.0.1:${port}` })(req('/up/x'));
    expect(response.status).toBe(502);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/ECONNREFUSED/);
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    upstream.handle = () => {}; // never answers
    const started = Date.now();
    const response = await route({ timeoutMs: 300 })(req('/up/slow'));
    expect(response.status).toBe(504);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/did not answer/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lets a steady upload run longer than the timeout, and tells who stalled when one does', async () => {
    upstream.handle = (r, res) => {
      let bytes = 0;
      r.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      r.on('end', () => res.end(String(bytes)));
    };
    // 40 chunks 25 ms apart: about a second in all, against a 300 ms timeout.
    let sent = 0;
    const steady = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 25));
        if (sent++ === 40) c.close();
        else c.enqueue(new Uint8Array(1024));
      },
    });
    const ok = await route({ timeoutMs: 300 })(req('/up/x', { method: 'POST', body: steady }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(String(40 * 1024));

    const stalledClient = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(1024)); // then nothing, and no end
      },
    });
    const clientStall = await route({ timeoutMs: 300 })(
      req('/up/x', { method: 'POST', body: stalledClient }),
    );
    expect(clientStall.status).toBe(408);
    expect(((await clientStall.json()) as { detail: string }).detail).toMatch(/stopped arriving/);

    upstream.handle = (r) => r.pause(); // takes the head, then reads nothing
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const upstreamStall = await route({ timeoutMs: 300, maxBodyBytes: 1024 ** 3 })(
      req('/up/x', { method: 'POST', body: endless }),
    );
    expect(upstreamStall.status).toBe(504);
    expect(((await upstreamStall.json()) as { detail: string }).detail).toMatch(
      /stopped taking the request body/,
    );
  });

  it('blames the upstream, not the client, for a request handed over whole', () => {
    // A GET whose connection never opens: ended, nothing flushed, no push-back.
    expect(stallOf({ writableEnded: true, writableNeedDrain: false })).toBe('upstream-answer');
    expect(stallOf({ writableEnded: false, writableNeedDrain: true })).toBe('upstream-body');
    expect(stallOf({ writableEnded: false, writableNeedDrain: false })).toBe('client-body');
  });

  it('answers 413 for a declared or streamed body over the limit', async () => {
    let bytesSeen = 0;
    upstream.handle = (r, res) => {
      r.on('data', (c: Buffer) => {
        bytesSeen += c.length;
      });
      r.on('end', () => res.end('ok'));
      r.on('error', () => {});
    };
    const declared = await route({ maxBodyBytes: 10 })(
      req('/up/x', { method: 'POST', body: 'x'.repeat(11), headers: { 'content-length': '11' } }),
    );
    expect(declared.status).toBe(413);
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(1024));
        c.close();
      },
    });
    const response = await route({ maxBodyBytes: 4096 })(
      req('/up/x', { method: 'POST', body: streamed }),
    );
    expect(response.status).toBe(413);
    expect(bytesSeen).toBeLessThanOrEqual(4096);
  });

  it('aborting the request closes the upstream connection', async () => {
    const sawClose = upstream.answerOpenEnded('first');
    const controller = new AbortController();
    const response = await route()(req('/up/stream', { signal: controller.signal }));
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
    controller.abort();
    await expect(sawClose).resolves.toBeUndefined(); // the upstream saw its socket close
  });

  it('reads a small answer whole, and streams a large or open-ended one', async () => {
    upstream.handle = (r, res) => {
      const size = Number(new URL(r.url!, 'http://x').searchParams.get('n'));
      if (r.url!.startsWith('/base/chunked')) res.write('x'.repeat(size));
      else res.setHeader('content-length', size);
      res.end(r.url!.startsWith('/base/chunked') ? undefined : 'x'.repeat(size));
    };
    const small = await route()(req(`/up/fixed?n=${BUFFERED_ANSWER_BYTES}`));
    expect(small).toBeInstanceOf(BufferedResponse);
    expect((small as BufferedResponse).content.byteLength).toBe(BUFFERED_ANSWER_BYTES);
    const large = await route()(req(`/up/fixed?n=${BUFFERED_ANSWER_BYTES + 1}`));
    expect(large).not.toBeInstanceOf(BufferedResponse);
    expect((await large.text()).length).toBe(BUFFERED_ANSWER_BYTES + 1);
    const open = await route()(req('/up/chunked?n=10'));
    expect(open).not.toBeInstanceOf(BufferedResponse);
    expect(await open.text()).toBe('x'.repeat(10));
  });

  it('hands the connection back to the pool after each small answer', async () => {
    const sockets = new Set<unknown>();
    upstream.handle = (r, res) => {
      sockets.add(r.socket);
      res.setHeader('content-length', 5);
      res.end('small');
    };
    const forward = route();
    for (let i = 0; i < 20; i++) {
      const response = await forward(req(`/up/small?i=${i}`));
      expect(response).toBeInstanceOf(BufferedResponse);
      expect(await response.text()).toBe('small');
    }
    expect(sockets.size).toBe(1);
  });

  it('answers 502 when the upstream closes before the end of a small answer', async () => {
    upstream.handle = (_r, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setTimeout(() => res.socket!.destroy(), 20);
    };
    const response = await route()(req('/up/cut'));
    expect(response.status).toBe(502);
    expect(((await response.json()) as { detail: string }).detail).toMatch(
      /closed before the end of its answer/,
    );
  });

  it('aborting while a small answer arrives rejects and closes the upstream connection', async () => {
    let upstreamSawClose!: () => void;
    const sawClose = new Promise<void>((r) => {
      upstreamSawClose = r;
    });
    let headSent!: () => void;
    const headWasSent = new Promise<void>((r) => {
      headSent = r;
    });
    upstream.handle = (r, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('first', () => headSent());
      r.socket.on('close', () => upstreamSawClose());
    };
    const controller = new AbortController();
    const answer = route()(req('/up/slow-small', { signal: controller.signal }));
    await headWasSent;
    controller.abort(new Error('the client cancelled'));
    await expect(answer).rejects.toThrow('the client cancelled');
    await expect(sawClose).resolves.toBeUndefined();
  });

  it('joins base paths and rest paths', () => {
    expect(upstreamUrl('http://h:1/base/', '/a?b=1').href).toBe('http://h:1/base/a?b=1');
    expect(upstreamUrl('http://h:1', '//evil.example/x').host).toBe('h:1');
  });
});
