import { describe, expect, it } from 'vitest';
import { createRoomsApi } from './api.js';
import { RoomsApiError } from './errors.js';

interface Recorded {
  url: URL;
  method: string;
  body: unknown;
  contentType: string | null;
}

/** A fetch that records each call and answers with `respond`. */
function fakeFetch(respond: (call: Recorded) => Response) {
  const calls: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const call: Recorded = {
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      contentType: headers.get('content-type'),
    };
    calls.push(call);
    return respond(call);
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const json = (body: unknown, status = 200, contentType = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } });

const listing = {
  room: 'r1',
  members: [{ id: 'a', role: 'edge', name: 'Pi', joinedAt: '2026-01-01T00:00:00.000Z' }],
};

describe('createRoomsApi', () => {
  it('posts join with exactly id, token, role and name', async () => {
    const { calls, fetch } = fakeFetch(() => json(listing));
    const client = createRoomsApi({ baseUrl: 'http://signal.test:8080', fetch });
    const result = await client.join({ id: 'a', token: 't', role: 'edge', name: 'Pi' });
    expect(result).toEqual(listing);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.url.href).toBe('http://signal.test:8080/rooms/join');
    expect(calls[0]?.contentType).toBe('application/json');
    expect(calls[0]?.body).toEqual({ id: 'a', token: 't', role: 'edge', name: 'Pi' });
  });

  it('keeps a base path prefix and sends credentials as query for GETs', async () => {
    const { calls, fetch } = fakeFetch((call) =>
      call.url.pathname.endsWith('/ice') ? json({ iceServers: [] }) : json(listing),
    );
    const client = createRoomsApi({ baseUrl: 'https://example.org/signal', fetch });
    await client.members({ id: 'a b', token: 't&x' });
    const ice = await client.iceServers({ id: 'a', token: 't' });
    expect(ice).toEqual({ iceServers: [] });
    expect(calls[0]?.url.pathname).toBe('/signal/rooms/members');
    expect(calls[0]?.url.searchParams.get('id')).toBe('a b');
    expect(calls[0]?.url.searchParams.get('token')).toBe('t&x');
    expect(calls[1]?.url.pathname).toBe('/signal/ice');
  });

  it('leave resolves on 204', async () => {
    const { calls, fetch } = fakeFetch(() => new Response(null, { status: 204 }));
    const client = createRoomsApi({ baseUrl: 'http://s.test', fetch });
    await expect(client.leave({ id: 'a', token: 't' })).resolves.toBeUndefined();
    expect(calls[0]?.body).toEqual({ id: 'a', token: 't' });
  });

  it('turns a problem+json answer into RoomsApiError with status and body', async () => {
    const problem = {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'unknown peer',
    };
    const { fetch } = fakeFetch(() => json(problem, 401, 'application/problem+json'));
    const client = createRoomsApi({ baseUrl: 'http://s.test', fetch });
    const error = await client.members({ id: 'a', token: 'secret-token' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoomsApiError);
    const apiError = error as RoomsApiError;
    expect(apiError.name).toBe('PeerFetchRoomsApiError');
    expect(apiError.status).toBe(401);
    expect(apiError.problem).toEqual(problem);
    expect(apiError.message).toContain('unknown peer');
    expect(apiError.message).not.toContain('secret-token');
  });

  it('reports a non-JSON error body without a problem', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response('<html>bad gateway</html>', {
          status: 502,
          headers: { 'content-type': 'text/html' },
        }),
    );
    const client = createRoomsApi({ baseUrl: 'http://s.test', fetch });
    const error = (await client
      .iceServers({ id: 'a', token: 't' })
      .catch((e: unknown) => e)) as RoomsApiError;
    expect(error.status).toBe(502);
    expect(error.problem).toBeUndefined();
  });

  it('aborts a call that exceeds its timeout', async () => {
    const fetch = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof globalThis.fetch;
    const client = createRoomsApi({ baseUrl: 'http://s.test', fetch, timeoutMs: 20 });
    await expect(client.members({ id: 'a', token: 't' })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});
