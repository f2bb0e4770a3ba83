import { gunzipSync, gzipSync } from 'node:zlib';
import { BufferedResponse } from '@peerfetch/shared';
import { useTestUpstream } from '@peerfetch/shared/testing/node';
import { describe, expect, it } from 'vitest';
import { createRouter } from './router.js';
import { BUFFERED_ANSWER_BYTES, createUpstreamHandler, upstreamUrl } from './upstream.js';

// Routing and what passes through the proxy; upstream-failures.test.ts has what happens when
// the upstream or the client fails, stalls or sends too much.

const upstream = useTestUpstream();

/** `/up` proxied to the test upstream's `/base`, and a stand-in device API at `/`. */
function route() {
  return createRouter([
    {
      prefix: '/up',
      handler: createUpstreamHandler({
        baseUrl: `${upstream.url}/base`,
        label: '/up',
        timeoutMs: 2000,
        maxBodyBytes: 1024 * 1024,
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

  it('passes %2F only to a route that allows it, and never out of its prefix', async () => {
    const seen: string[] = [];
    const router = createRouter([
      {
        prefix: '/files',
        encodedSlashes: true,
        handler: async (_r, rest) => {
          seen.push(`files:${rest}`);
          return new Response('files');
        },
      },
      { prefix: '/files/admin', handler: async () => new Response('admin') },
      {
        prefix: '/',
        handler: async (_r, rest) => {
          seen.push(`device:${rest}`);
          return new Response('device');
        },
      },
    ]);
    const status = async (path: string) => (await router(req(path))).status;
    expect(await status('/files/a%2Fb?x=1')).toBe(200);
    expect(seen).toEqual(['files:/a%2Fb?x=1']);
    // An encoded slash is not a separator: it reaches neither /files/admin nor /files from /.
    expect(await (await router(req('/files%2Fadmin'))).text()).not.toBe('admin');
    expect(await status('/files%2Fadmin')).toBe(400);
    expect(await status('/files/admin/a%2Fb')).toBe(400);
    expect(await status('/other/a%2Fb')).toBe(400);
    for (const climb of ['/files/..%2Fadmin', '/files/a%2F..%2F..%2Fx', '/files/%2e%2e%2Fx']) {
      expect(await status(climb), climb).toBe(400);
    }
    expect(seen).toEqual(['files:/a%2Fb?x=1']);
  });

  it("keeps an upstream's redirects and cookies inside its route", async () => {
    upstream.handle = (_r, res) => {
      res.writeHead(302, {
        location: `${upstream.url}/base/get?a=1`,
        'set-cookie': ['s=1; Path=/base/x', 't=2; Path=/'],
      });
      res.end();
    };
    const router = createRouter([
      {
        prefix: '/up',
        handler: createUpstreamHandler({
          baseUrl: `${upstream.url}/base`,
          label: '/up',
          prefix: '/up',
          timeoutMs: 2000,
          maxBodyBytes: 1024,
        }),
      },
    ]);
    const response = await router(req('/up/redirect'));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/up/get?a=1');
    // `/` is above the upstream's base path: nothing in the route maps to it.
    expect(response.headers.getSetCookie()).toEqual(['s=1; Path=/up/x', 't=2; Path=/']);
  });

  it('joins base paths and rest paths', () => {
    expect(upstreamUrl('http://h:1/base/', '/a?b=1').href).toBe('http://h:1/base/a?b=1');
    expect(upstreamUrl('http://h:1', '//evil.example/x').host).toBe('h:1');
  });
});
