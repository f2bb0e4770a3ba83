/**
 * The edge as a proxy, end to end: real signaling server, real edge process, real wrtc,
 * a stock PeerJS client in this process, and a local upstream HTTP server.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type ClientSession, pairedSession } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { patternBytes, type StartedUpstream, sha256, startUpstream } from '../helpers/upstream.js';

const MiB = 1024 * 1024;
let signaling: StartedSignaling;
let upstream: StartedUpstream;
let edge: StartedEdge;
let client: ClientSession;
let deadPort: number;
/** Edge RSS right after it joined its room, before any session. */
let startupRss: number;

beforeAll(async () => {
  signaling = await startSignaling();
  upstream = await startUpstream();
  const dead = await startUpstream();
  deadPort = dead.port;
  await dead.stop();
  edge = await startEdge({
    signalingUrl: signaling.url,
    routes: { '/up': upstream.url, '/dead': `http://127.0.0.1:${deadPort}` },
    // 100 requests at once need more than the default 64 in flight per session.
    env: { PEERFETCH_UPSTREAM_TIMEOUT_MS: '1500', PEERFETCH_MAX_REQUESTS_PER_SESSION: '128' },
  });
  await new Promise((r) => setTimeout(r, 1000)); // let start-up settle
  startupRss = await edge.rssBytes();
  client = await pairedSession(signaling.port, edge);
});

afterAll(async () => {
  client?.close();
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await upstream?.stop();
  await signaling?.stop();
});

async function hashBody(response: Response): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest('hex') };
}

describe('edge proxy', () => {
  it('GETs JSON through a route', async () => {
    const response = await client.fetch('/up/json?n=7');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ hello: 'world', n: 7 });
  });

  it('POSTs a body and gets it echoed, with custom headers both ways', async () => {
    const response = await client.fetch('/up/echo', {
      method: 'POST',
      body: JSON.stringify({ ping: 'pong' }),
      headers: { 'content-type': 'application/json', 'x-trace': 'abc-123' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ping: 'pong' });
    expect(response.headers.get('x-echo-trace')).toBe('abc-123');
    expect(response.headers.get('x-method')).toBe('POST');
    // Cookie paths are mapped into the route (edge/README.md, routes).
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/up', 'b=2; Path=/up']);
  });

  it('downloads 50 MiB intact and reports throughput and memory', async () => {
    const idleRss = await edge.rssBytes();
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      void edge.rssBytes().then((rss) => {
        peakRss = Math.max(peakRss, rss);
      });
    }, 100);
    const t0 = performance.now();
    const response = await client.fetch(`/up/bytes?n=${50 * MiB}`);
    const result = await hashBody(response);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    expect(result.bytes).toBe(50 * MiB);
    expect(result.sha256).toBe(sha256(patternBytes(50 * MiB)));
    console.log(
      `[edge figures] download 50 MiB: ${(50 / seconds).toFixed(1)} MiB/s; edge RSS at start ${(startupRss / MiB).toFixed(1)} MiB, idle with a session ${(idleRss / MiB).toFixed(1)} MiB, peak during transfer ${(peakRss / MiB).toFixed(1)} MiB`,
    );
  });

  it('uploads 20 MiB intact and reports throughput', async () => {
    const data = patternBytes(20 * MiB);
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= data.length) return controller.close();
        controller.enqueue(data.subarray(offset, offset + 256 * 1024));
        offset += 256 * 1024;
      },
    });
    const t0 = performance.now();
    const response = await client.fetch('/up/sha256', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    const result = await response.json();
    const seconds = (performance.now() - t0) / 1000;
    expect(result).toEqual({ bytes: 20 * MiB, sha256: sha256(data) });
    console.log(`[edge figures] upload 20 MiB: ${(20 / seconds).toFixed(1)} MiB/s`);
  });

  it('answers 100 concurrent mixed requests correctly', async () => {
    const jobs = Array.from({ length: 100 }, async (_, i) => {
      switch (i % 4) {
        case 0: {
          const r = await client.fetch(`/up/json?n=${i}`);
          expect(await r.json()).toEqual({ hello: 'world', n: i });
          break;
        }
        case 1: {
          const r = await client.fetch('/up/echo', {
            method: 'POST',
            body: `body-${i}`,
            headers: { 'x-i': String(i) },
          });
          expect(await r.text()).toBe(`body-${i}`);
          expect(r.headers.get('x-echo-i')).toBe(String(i));
          break;
        }
        case 2: {
          const n = 100_000 + i * 1000;
          const r = await client.fetch(`/up/bytes?n=${n}`);
          expect(sha256(new Uint8Array(await r.arrayBuffer()))).toBe(sha256(patternBytes(n)));
          break;
        }
        default: {
          const r = await client.fetch('/api/device');
          expect(r.status).toBe(200);
          expect((await r.json()).agent.name).toBe('peerfetch-edge');
        }
      }
    });
    await Promise.all(jobs);
  });

  it('answers 404 for an unknown route, 502 for a stopped upstream and 504 for a stalled one', async () => {
    const unknown = await client.fetch('/nope/thing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const refused = await client.fetch('/dead/x');
    expect(refused.status).toBe(502);
    expect((await refused.json()).detail).toMatch(/unreachable/);
    const t0 = Date.now();
    const stalled = await client.fetch('/up/stall');
    expect(stalled.status).toBe(504);
    expect((await stalled.json()).status).toBe(504);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
  });

  it('refuses encoded traversal before reaching the upstream', async () => {
    const before = upstream.hits.get('/json') ?? 0;
    for (const path of ['/up/..%2fjson', '/up/%2e%2e%2fjson', '/up/a%5c..%5cjson']) {
      const response = await client.fetch(path);
      expect(response.status, path).toBe(400);
    }
    expect(upstream.hits.get('/json') ?? 0).toBe(before);
  });

  it('cancelling a request closes the upstream connection', async () => {
    const arrived = upstream.nextRequest('/drip');
    const closed = upstream.nextClose('/drip');
    const controller = new AbortController();
    const response = await client.fetch('/up/drip', { signal: controller.signal });
    await arrived;
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first chunk\n');
    controller.abort();
    await expect(
      Promise.race([
        closed.then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still open'), 5000)),
      ]),
    ).resolves.toBe('closed');
    // The session is still fine afterwards.
    expect((await client.fetch('/up/json')).status).toBe(200);
  });
});
