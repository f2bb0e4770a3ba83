import {
  connectInMemory,
  type InMemoryConnection,
  patternBytes,
  readAll,
  sha256Hex,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerFetchOptions } from './peer-fetch.js';

let connection: InMemoryConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

const json = new TextEncoder().encode(JSON.stringify({ hello: 'compressed world' }));
const large = patternBytes(3 * 1024 * 1024);
/** `json` in brotli, made once with Node's zlib: no web API compresses brotli. */
const jsonBrotli = Uint8Array.from(atob('iw2AeyJoZWxsbyI6ImNvbXByZXNzZWQgd29ybGQifQM='), (c) =>
  c.charCodeAt(0),
);
/** The last body the server sent, as it went on the wire. */
let lastSent: Uint8Array | undefined;

/** `bytes` compressed with the platform's CompressionStream, as browsers and Node have it. */
async function compressed(bytes: Uint8Array, format: CompressionFormat): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  return new Uint8Array(
    await new Response(stream.pipeThrough(new CompressionStream(format))).arrayBuffer(),
  );
}

/** A server that answers with `bytes` encoded as the `coding` query asks, whatever was accepted. */
function connectEncoding(options: PeerFetchOptions = {}) {
  connection = connectInMemory(
    async (request) => {
      const url = new URL(request.url);
      const coding = url.searchParams.get('coding') ?? '';
      const plain = url.pathname === '/large' ? large : json;
      const encoders: Record<string, (b: Uint8Array) => Promise<Uint8Array>> = {
        gzip: (b) => compressed(b, 'gzip'),
        deflate: (b) => compressed(b, 'deflate'),
        br: async () => jsonBrotli,
        'gzip, deflate': async (b) => compressed(await compressed(b, 'gzip'), 'deflate'),
        zstd: async (b) => b,
      };
      const encode = encoders[coding] ?? (async (b: Uint8Array) => b);
      const body = (await encode(plain)) as Uint8Array<ArrayBuffer>;
      lastSent = body;
      return new Response(body, {
        headers: {
          'content-encoding': coding,
          'content-length': String(body.byteLength),
          'content-type': 'application/json',
        },
      });
    },
    { fetch: options },
  );
  return connection.client;
}

describe('compressed answers are decoded as a browser fetch() would', () => {
  for (const coding of ['gzip', 'deflate', 'gzip, deflate']) {
    it(`${coding}: .json() works; the headers stay as sent`, async () => {
      const response = await connectEncoding().fetch(`/small?coding=${coding}`);
      expect(response.headers.get('content-encoding')).toBe(coding);
      expect(Number(response.headers.get('content-length'))).not.toBe(json.byteLength);
      expect(await response.json()).toEqual({ hello: 'compressed world' });
    });
  }

  it('a streamed answer (several frames) decodes byte for byte', async () => {
    const response = await connectEncoding().fetch('/large?coding=gzip');
    const body = await readAll(response.body);
    expect(body.byteLength).toBe(large.byteLength);
    expect(await sha256Hex(body)).toBe(await sha256Hex(large));
  });

  it('a coding this platform cannot decode arrives as sent, its header saying so', async () => {
    const response = await connectEncoding().fetch('/small?coding=zstd');
    expect(response.headers.get('content-encoding')).toBe('zstd');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(json);
  });

  it('brotli decodes where DecompressionStream knows it, and is not offered where it does not', async () => {
    const client = connectEncoding();
    let brotli = true;
    try {
      new DecompressionStream('brotli' as CompressionFormat);
    } catch {
      brotli = false;
    }
    const response = await client.fetch('/small?coding=br');
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (brotli)
      expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({ hello: 'compressed world' });
    else expect(bytes).toEqual(jsonBrotli);
  });

  it('with decompress off, bodies arrive exactly as sent', async () => {
    const response = await connectEncoding({ decompress: false }).fetch('/small?coding=gzip');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(lastSent);
    expect(lastSent?.subarray(0, 2)).toEqual(new Uint8Array([0x1f, 0x8b])); // gzip, not plain
  });

  it('an empty body with a coding is an empty body', async () => {
    connection = connectInMemory(
      async () => new Response(null, { headers: { 'content-encoding': 'gzip' } }),
    );
    const response = await connection.client.fetch('/');
    expect(await response.text()).toBe('');
  });

  it('a corrupt body fails the read with an error, not a hang', async () => {
    connection = connectInMemory(
      async () => new Response('not gzip at all', { headers: { 'content-encoding': 'gzip' } }),
    );
    const response = await connection.client.fetch('/');
    await expect(response.text()).rejects.toThrow();
  });
});
