import { connectInMemory, type InMemoryConnection } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';

let connection: InMemoryConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** Answers with the framing headers the request arrived with and its body's real size. */
function connectEcho(): InMemoryConnection {
  connection = connectInMemory(async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    return Response.json({
      contentLength: request.headers.get('content-length'),
      acceptEncoding: request.headers.get('accept-encoding'),
      size: body.byteLength,
    });
  });
  return connection;
}

interface Echo {
  contentLength: string | null;
  acceptEncoding: string | null;
  size: number;
}

async function send(body: RequestInit['body'], init: RequestInit = {}): Promise<Echo> {
  const response = await connectEcho().client.fetch('/echo', { method: 'POST', body, ...init });
  return (await response.json()) as Echo;
}

describe('request bodies keep their length', () => {
  const form = new FormData();
  form.append('field', 'välue');
  form.append('file', new Blob(['file bytes']), 'f.txt');
  const cases: [string, () => RequestInit['body']][] = [
    ['a string (UTF-8 bytes, not characters)', () => 'héllo wörld'],
    ['bytes', () => new Uint8Array(70_000)],
    ['an ArrayBuffer', () => new ArrayBuffer(5)],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: 'two words' })],
    ['FormData, once serialized', () => form],
    ['a Blob, streamed', () => new Blob([new Uint8Array(300_000)])],
    ['an empty string', () => ''],
  ];
  for (const [name, body] of cases) {
    it(`${name}: content-length is the size that arrives`, async () => {
      const echo = await send(body());
      expect(echo.contentLength).toBe(String(echo.size));
    });
  }

  it('a stream without a declared length goes without one', async () => {
    const stream = new Blob(['abc']).stream();
    const echo = await send(stream, { duplex: 'half' } as RequestInit);
    expect(echo).toMatchObject({ contentLength: null, size: 3 });
  });

  it('a request without a body gets no content-length', async () => {
    const response = await connectEcho().client.fetch('/echo');
    expect(await response.json()).toMatchObject({ contentLength: null, size: 0 });
  });

  it('a wrong content-length from the caller is replaced by the real one', async () => {
    const echo = await send('four', { headers: { 'content-length': '99' } });
    expect(echo).toMatchObject({ contentLength: '4', size: 4 });
  });
});

describe('accept-encoding', () => {
  it('offers the codings the client decodes, unless the caller chose', async () => {
    expect((await send('x')).acceptEncoding).toMatch(/^gzip, deflate/);
    const chosen = await send('x', { headers: { 'accept-encoding': 'identity' } });
    expect(chosen.acceptEncoding).toBe('identity');
  });
});
