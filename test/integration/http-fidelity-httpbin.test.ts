/**
 * HTTP carried faithfully, against a server nobody here wrote: Debian's httpbin under
 * gunicorn, behind the built edge, reached by a real client over WebRTC. One test per fix:
 * request lengths, header-count refusals, redirects and cookies kept in the route,
 * compressed answers, encoded slashes, and small slow answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, runClientCli, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type StartedHttpbin, startHttpbin } from '../helpers/httpbin.js';
import { type ClientSession, pairCli, pairedSession } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

const BODY_LIMIT = 64 * 1024;
let signaling: StartedSignaling;
let httpbin: StartedHttpbin;
let edge: StartedEdge;
let client: ClientSession;
/** The `peerfetch` CLI's config home, paired with the edge by the CLI test. */
let cliHome: string | undefined;

beforeAll(async () => {
  signaling = await startSignaling();
  httpbin = await startHttpbin();
  edge = await startEdge({
    signalingUrl: signaling.url,
    routes: { '/hb': httpbin.url },
    // A route that takes encoded slashes: only the config file can say so.
    configYaml: `routes:\n  /hbs: { url: "${httpbin.url}", encodedSlashes: true }\n`,
    env: { PEERFETCH_MAX_REQUEST_BODY_BYTES: String(BODY_LIMIT) },
  });
  client = await pairedSession(signaling.port, edge);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await httpbin?.stop();
  await signaling?.stop();
  if (cliHome) await rm(cliHome, { recursive: true, force: true });
});

interface Echo {
  headers: Record<string, string>;
  data: string;
  url: string;
  form: Record<string, string>;
}

async function echo(init: RequestInit): Promise<Echo> {
  const response = await client.fetch('/hb/anything', { method: 'POST', ...init });
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

describe('request bodies keep their length', () => {
  it.each([
    ['a string', () => 'a string body'],
    ['bytes', () => new Uint8Array(40_000).fill(0x61)],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: 'two' })],
    ['a Blob', () => new Blob(['blob ', 'parts'])],
  ])('%s arrives with Content-Length, not chunked', async (_name, body) => {
    const seen = await echo({ body: body() });
    expect(seen.headers['Transfer-Encoding']).toBeUndefined();
    expect(Number(seen.headers['Content-Length'])).toBeGreaterThan(0);
  });

  it('a stream of unknown length still goes chunked (what the length fix changes is real)', async () => {
    const seen = await echo({
      body: new Blob(['streamed']).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(seen.headers['Transfer-Encoding']).toBe('chunked');
    expect(seen.headers['Content-Length']).toBeUndefined();
  });

  it('an oversized body of known length is refused by the early check, before it is read', async () => {
    const response = await client.fetch('/hb/anything', {
      method: 'POST',
      body: new Uint8Array(BODY_LIMIT + 1),
    });
    expect(response.status).toBe(413);
    // The early check's wording; the streaming limit says "exceeds" after reading past it.
    expect(((await response.json()) as { detail: string }).detail).toBe(
      `request body is larger than ${BODY_LIMIT} bytes`,
    );
  });
});

describe('the CLI sends the length of every body it knows', () => {
  it('peerfetch fetch -d VALUE arrives with Content-Length', async () => {
    cliHome = await mkdtemp(join(tmpdir(), 'pf-fidelity-cli-'));
    const paired = await pairCli(signaling.url, edge, cliHome);
    expect(paired.code, paired.stderr).toBe(0);
    const result = await runClientCli(
      ['fetch', '--device', edge.peerId, '-d', 'näive value', '/hb/anything'],
      { configHome: cliHome },
    );
    expect(result.stderr).toBe('');
    const seen = JSON.parse(result.stdout.toString()) as Echo;
    expect(seen.headers['Content-Length']).toBe('12');
    expect(seen.headers['Transfer-Encoding']).toBeUndefined();
  });
});

describe('too many header fields refuse one exchange, not the session', () => {
  it('431 for a request with 300 fields, 502 for an answer with 300; the session goes on', async () => {
    const dripping = client.fetch('/hb/drip?numbytes=3&duration=1&delay=0');
    const headers = Array.from(
      { length: 300 },
      (_, i) => [`x-field-${i}`, 'v'] as [string, string],
    );
    const request = await client.fetch('/hb/get', { headers });
    expect(request.status).toBe(431);
    expect(request.headers.get('content-type')).toBe('application/problem+json');
    const query = Array.from({ length: 300 }, (_, i) => `h${i}=v`).join('&');
    const answer = await client.fetch(`/hb/response-headers?${query}`);
    expect(answer.status).toBe(502);
    expect(((await answer.json()) as { detail: string }).detail).toMatch(/header fields/);
    // The request in flight meanwhile and the next ones are answered on the same session.
    expect((await (await dripping).arrayBuffer()).byteLength).toBe(3);
    expect((await client.fetch('/hb/get')).status).toBe(200);
    expect(client.session.isClosed).toBe(false);
  });
});

describe('redirects and cookies stay inside the route', () => {
  it('an absolute-path Location stays under /hb, and following it works', async () => {
    const first = await client.fetch('/hb/relative-redirect/2');
    expect(first.status).toBe(302);
    const location = first.headers.get('location')!;
    expect(location).toBe('/hb/relative-redirect/1');
    const second = await client.fetch(location);
    expect(second.headers.get('location')).toBe('/hb/get');
  });

  it('an absolute Location to the upstream itself becomes the route path', async () => {
    const response = await client.fetch('/hb/absolute-redirect/1');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hb/get');
    expect(response.headers.get('location')).not.toContain(String(httpbin.port));
    const followed = await client.fetch(response.headers.get('location')!);
    expect(((await followed.json()) as { url: string }).url).toMatch(/\/get$/);
  });

  it('a Location to another site is left alone', async () => {
    const target = 'https://example.invalid/x';
    const response = await client.fetch(`/hb/redirect-to?url=${encodeURIComponent(target)}`);
    expect(response.headers.get('location')).toBe(target);
  });

  it('Set-Cookie paths are mapped into the prefix', async () => {
    const response = await client.fetch('/hb/cookies/set?flavour=oat');
    expect(response.headers.get('location')).toBe('/hb/cookies');
    expect(response.headers.getSetCookie()).toEqual(['flavour=oat; Path=/hb']);
  });
});

describe('compressed answers', () => {
  it.each(['gzip', 'deflate'])('%s despite Accept-Encoding: .json() works', async (coding) => {
    const response = await client.fetch(`/hb/${coding}`);
    expect(response.headers.get('content-encoding')).toBe(coding);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body[coding === 'gzip' ? 'gzipped' : 'deflated']).toBe(true);
  });

  it('brotli, which Node 20 cannot decode, arrives as sent with its header', async () => {
    const response = await client.fetch('/hb/brotli');
    expect(response.headers.get('content-encoding')).toBe('br');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(bytes[0]).not.toBe('{'.charCodeAt(0));
  });

  it('the client offers only what it decodes', async () => {
    const response = await client.fetch('/hb/headers');
    const { headers } = (await response.json()) as { headers: Record<string, string> };
    expect(headers['Accept-Encoding']).toBe('gzip, deflate');
  });
});

describe('encoded slashes', () => {
  it('pass on a route that allows them and are refused elsewhere', async () => {
    const allowed = await client.fetch('/hbs/anything/a%2Fb');
    expect(allowed.status).toBe(200);
    // gunicorn decodes %2F before httpbin sees the path.
    expect(((await allowed.json()) as Echo).url).toMatch(/\/anything\/a\/b$/);
    const refused = await client.fetch('/hb/anything/a%2Fb');
    expect(refused.status).toBe(400);
  });

  it.each([
    '/hbs/anything/..%2F..%2Fget',
    '/hbs/anything/a%2F..%2F..%2Fget',
    '/hbs/%2e%2e%2Fget',
    '/hbs%2F..%2Fhb/get',
    '/hbs/anything%5C..%5Cget',
  ])('never let a path escape its route: %s is 400', async (path) => {
    const response = await client.fetch(path);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('small slow answers', () => {
  it('a drip with a length arrives progressively, not all at once at its end', async () => {
    const response = await client.fetch('/hb/drip?numbytes=5&duration=2&delay=0');
    expect(response.headers.get('content-length')).toBe('5');
    const reader = response.body!.getReader();
    const chunks: number[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      chunks.push(read.value.byteLength);
    }
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(5);
    expect(chunks.length, `chunks ${JSON.stringify(chunks)}`).toBeGreaterThan(1);
    expect(chunks[0]).toBeLessThan(5);
  });
});
