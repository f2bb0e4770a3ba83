import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useTestUpstream } from '@peerfetch/shared/testing/node';
import { describe, expect, it } from 'vitest';
import { createRouter } from './router.js';
import { createUpstreamHandler, stallOf, type UpstreamOptions } from './upstream.js';

// When the upstream or the client fails, stalls or sends too much; router.test.ts has routing
// and what passes through.

const upstream = useTestUpstream();

/** `/up` proxied to the test upstream's `/base`, with the limits a test sets. */
function route(options: Partial<UpstreamOptions> = {}) {
  const handler = createUpstreamHandler({
    baseUrl: `${upstream.url}/base`,
    label: '/up',
    timeoutMs: 2000,
    maxBodyBytes: 1024 * 1024,
    ...options,
  });
  return createRouter([{ prefix: '/up', handler }]);
}

const req = (path: string, init?: RequestInit) =>
  new Request(`http://peerfetch.invalid${path}`, { duplex: 'half', ...init } as RequestInit);

describe('upstream failures', () => {
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
});
