import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRoomsApi, RoomsApiError } from '@peerfetch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { httpFetch } from './http-fetch.js';

let server: Server | undefined;

/** A loopback server that answers every request with `answer` and records what it got. */
async function serve(answer: (body: string, res: ServerResponse) => void): Promise<{
  url: string;
  seen: { method?: string; url?: string; type?: string; body: string }[];
}> {
  const seen: { method?: string; url?: string; type?: string; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      answer(body, res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function stop() {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
}

afterEach(stop);

describe('httpFetch', () => {
  it('sends method, headers and body, and answers with status, headers and the whole body', async () => {
    const { url, seen } = await serve((body, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-two': ['a', 'b'] });
      res.end(JSON.stringify({ echo: body }));
    });
    const response = await httpFetch(new URL('/rooms/join?id=1', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(seen).toEqual([
      { method: 'POST', url: '/rooms/join?id=1', type: 'application/json', body: '{"a":1}' },
    ]);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-two')).toBe('a, b');
    expect(await response.json()).toEqual({ echo: '{"a":1}' });
  });

  it('gives a 204 answer no body', async () => {
    const { url } = await serve((_, res) => res.writeHead(204).end());
    const response = await httpFetch(`${url}/x`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('rejects when the signal aborts, and when nobody listens', async () => {
    const { url } = await serve(() => {}); // never answers
    await expect(httpFetch(url, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await stop();
    await expect(httpFetch(url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('serves the rooms client, problem answers included', async () => {
    const { url } = await serve((_, res) => {
      res.writeHead(403, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Forbidden', detail: 'bad token' }));
    });
    const rooms = createRoomsApi({ baseUrl: url, fetch: httpFetch });
    const failure = rooms.iceServers({ id: 'edge-1', token: 't' });
    await expect(failure).rejects.toBeInstanceOf(RoomsApiError);
    await expect(failure).rejects.toThrow(/403: bad token/);
  });
});
