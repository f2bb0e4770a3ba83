import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { useTestUpstream } from '@peerfetch/shared/testing/node';
import { describe, expect, it } from 'vitest';
import { BodyLengthError, declaredLength, RequestFramingError } from './framing.js';
import { createUpstreamHandler } from './upstream.js';

type HeadersInit = ConstructorParameters<typeof Headers>[0];

const upstream = useTestUpstream();
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: elsewhere.invalid\r\n\r\n';
const encoder = new TextEncoder();

/** What the upstream saw of each request: path, headers, body bytes, its socket. */
interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
  complete: boolean;
}

/** Answers 200 once a body is complete; records every request, complete or not. */
function recordRequests(): Seen[] {
  const seen: Seen[] = [];
  upstream.handle = (r, res) => {
    const entry: Seen = {
      url: r.url!,
      headers: r.headers,
      body: '',
      socket: r.socket,
      complete: false,
    };
    seen.push(entry);
    r.on('data', (c: Buffer) => {
      entry.body += c.toString('latin1');
    });
    r.on('end', () => {
      entry.complete = true;
      res.end(`ok ${entry.body.length}`);
    });
    r.on('error', () => {});
  };
  return seen;
}

function handler() {
  return createUpstreamHandler({
    baseUrl: `${upstream.url}/base`,
    label: '/up',
    timeoutMs: 2000,
    maxBodyBytes: 1024 * 1024,
  });
}

const req = (init: RequestInit & { headers?: HeadersInit }) =>
  new Request('http://peerfetch.invalid/x', {
    method: 'POST',
    duplex: 'half',
    ...init,
  } as RequestInit);

/** A body whose chunks the test hands over one at a time. */
function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    stream,
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 500) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function expectProblem(response: Response, status: number, detail: RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
}

/**
 * Sends `first`, waits until the upstream has the request (so it is live on a socket), then
 * `rest`; returns the answer and what the upstream saw of that request.
 */
async function splitUpload(
  length: string | undefined,
  first: string,
  rest: string,
  method = 'POST',
) {
  const seen = recordRequests();
  const body = controlledBody();
  const headers: Record<string, string> = length === undefined ? {} : { 'content-length': length };
  const answer = handler()(req({ method, body: body.stream, headers }), '/split');
  body.send(first);
  await until(() => seen.length === 1);
  if (rest) body.send(rest);
  body.end();
  return { response: await answer, seen: seen[0]! };
}

describe('request framing towards the upstream', () => {
  it('a body longer than its content-length is refused, its socket closed, its excess unsent', async () => {
    recordRequests();
    await handler()(req({ body: 'warm' }), '/warm'); // a kept-alive socket for the next request
    const { response, seen } = await splitUpload('5', 'hel', `lo${SMUGGLED}`);
    await expectProblem(response, 400, /longer than its content-length of 5 bytes/);
    expect(seen.headers['content-length']).toBe('5');
    expect(seen.body).toBe('hel'); // the byte that completes the length is held back too
    await until(() => seen.socket.destroyed);
    expect(seen.complete).toBe(false);
    const next = recordRequests();
    expect((await handler()(req({ body: 'next' }), '/next')).status).toBe(200);
    expect(next.map((s) => s.url)).toEqual(['/base/next']);
    expect(next[0]!.socket).not.toBe(seen.socket);
  });

  it('a body shorter than its content-length is refused and its socket closed', async () => {
    const { response, seen } = await splitUpload('100', 'hello', '');
    await expectProblem(response, 400, /shorter than its content-length of 100 bytes/);
    expect(seen.body).toBe('hello');
    await until(() => seen.socket.destroyed);
    expect(seen.complete).toBe(false);
  });

  it('a lying body that arrives whole is refused before it reaches the upstream', async () => {
    const seen = recordRequests();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encoder.encode(`hello${SMUGGLED}`));
        c.close();
      },
    });
    const response = await handler()(req({ body, headers: { 'content-length': '5' } }), '/whole');
    await expectProblem(response, 400, /longer/);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
  });

  it('a body of the declared length passes with the edge’s own content-length, pool intact', async () => {
    const { response, seen } = await splitUpload('0010', 'hello', 'world');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok 10');
    expect(seen.headers['content-length']).toBe('10');
    expect(seen.headers['transfer-encoding']).toBeUndefined();
    const again = recordRequests();
    await handler()(req({ body: 'again' }), '/again');
    expect(again[0]!.socket).toBe(seen.socket); // an honest request's socket is reused
  });

  it('a body of unknown length goes chunked, even for DELETE and OPTIONS', async () => {
    for (const method of ['DELETE', 'OPTIONS', 'POST']) {
      const { response, seen } = await splitUpload(undefined, 'x', SMUGGLED, method);
      expect(response.status, method).toBe(200);
      expect(seen.headers['transfer-encoding'], method).toBe('chunked');
      expect(seen.headers['content-length'], method).toBeUndefined();
      expect(seen.body, method).toBe(`x${SMUGGLED}`);
    }
  });

  it('refuses malformed framing headers before contacting the upstream', async () => {
    const seen = recordRequests();
    const cases: [HeadersInit, number][] = [
      [
        [
          ['content-length', '5'],
          ['content-length', '50'],
        ],
        400,
      ],
      [
        [
          ['content-length', '5'],
          ['content-length', '5'],
        ],
        400,
      ],
      [{ 'content-length': '5, 5' }, 400],
      [{ 'content-length': '-5' }, 400],
      [{ 'content-length': '+5' }, 400],
      [{ 'content-length': '0x5' }, 400],
      [{ 'content-length': '5e0' }, 400],
      [{ 'content-length': '' }, 400],
      [{ 'transfer-encoding': 'chunked' }, 400],
      [{ 'transfer-encoding': 'chunked', 'content-length': '5' }, 400],
      [{ expect: 'something-else' }, 417],
    ];
    for (const [headers, status] of cases) {
      const response = await handler()(req({ body: 'hello', headers }), '/odd');
      expect(response.status, JSON.stringify(headers)).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(seen).toEqual([]);
  });

  it('refuses a declared length with no body, and drops 100-continue', async () => {
    const seen = recordRequests();
    const empty = await handler()(req({ method: 'GET', headers: { 'content-length': '5' } }), '/e');
    await expectProblem(empty, 400, /shorter than its content-length of 5 bytes/);
    expect(seen).toEqual([]);
    const zero = await handler()(req({ method: 'GET', headers: { 'content-length': '0' } }), '/z');
    expect(zero.status).toBe(200);
    const expecting = await handler()(
      req({ body: 'hello', headers: { expect: '100-continue', 'content-length': '5' } }),
      '/c',
    );
    expect(await expecting.text()).toBe('ok 5');
    expect(seen.at(-1)!.headers.expect).toBeUndefined();
  });

  it('answers 400, not 502, for a header value node:http will not send', async () => {
    const seen = recordRequests();
    const response = await handler()(
      req({ body: 'hello', headers: { 'x-odd': 'a\u0001b' } }),
      '/h',
    );
    await expectProblem(response, 400, /header/);
    expect(seen).toEqual([]);
  });

  it('keeps the 413 for a declared length over the limit', async () => {
    const response = await createUpstreamHandler({
      baseUrl: upstream.url,
      label: '/up',
      timeoutMs: 2000,
      maxBodyBytes: 4,
    })(req({ body: 'hello', headers: { 'content-length': '99999999999999999999' } }), '/big');
    expect(response.status).toBe(413);
  });
});

describe('declaredLength', () => {
  it('reads one decimal number and says why it refuses anything else', () => {
    expect(declaredLength(new Headers(), true)).toBeUndefined();
    expect(declaredLength(new Headers({ 'content-length': '42' }), true)).toBe(42);
    expect(declaredLength(new Headers({ 'content-length': '0' }), false)).toBe(0);
    expect(() => declaredLength(new Headers({ 'content-length': '1, 2' }), true)).toThrow(
      RequestFramingError,
    );
    expect(() => declaredLength(new Headers({ 'content-length': '3' }), false)).toThrow(
      BodyLengthError,
    );
    let refused: unknown;
    try {
      declaredLength(new Headers({ expect: 'x' }), true);
    } catch (error) {
      refused = error;
    }
    expect((refused as RequestFramingError).status).toBe(417);
    expect((refused as RequestFramingError).name).toBe('PeerFetchRequestFramingError');
  });
});
