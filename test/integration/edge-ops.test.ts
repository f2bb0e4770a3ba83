/**
 * The edge's operations port: /healthz follows its registration with the signaling server,
 * /metrics counts what it served and refused, and a busy port is told once without stopping
 * the edge.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, runClientCli, type StartedEdge, startEdge } from '../helpers/edge.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { type StartedUpstream, startUpstream } from '../helpers/upstream.js';

let signaling: StartedSignaling;
let upstream: StartedUpstream;
const edges: StartedEdge[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-ops-'));
  signaling = await startSignaling();
  upstream = await startUpstream();
});
afterAll(async () => {
  for (const edge of edges) {
    await edge.stop();
    await removeStateDir(edge.stateDir);
  }
  await upstream?.stop();
  await signaling?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function opsAddressOf(edge: StartedEdge): Promise<string> {
  const line = await edge.waitForLog((l) => l.msg === 'health and metrics listening');
  return String(line.address);
}

/** The value of one sample in Prometheus's text format, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('health and metrics', () => {
  it('tell a busy port once and leave the edge serving', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const listen = `127.0.0.1:${(taken.address() as AddressInfo).port}`;
    try {
      const edge = await startEdge({
        signalingUrl: signaling.url,
        env: { PEERFETCH_OPS_LISTEN: listen },
      });
      edges.push(edge);
      const warning = await edge.waitForLog((l) =>
        String(l.msg).startsWith('health and metrics not served'),
      );
      expect(warning).toMatchObject({ level: 40, listen, err: 'EADDRINUSE' });
      await edge.waitForLog((l) => l.msg === 'joined room');
      expect(edge.running()).toBe(true);
    } finally {
      taken.close();
    }
  });

  it('count requests by route and refused codes, and health follows signaling', async () => {
    const edge = await startEdge({ signalingUrl: signaling.url, routes: { '/up': upstream.url } });
    edges.push(edge);
    const ops = `http://${await opsAddressOf(edge)}`;
    await edge.waitForLog((l) => l.msg === 'joined room');
    const health = await fetch(`${ops}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      signaling: 'joined',
      peerId: edge.peerId,
    });

    const { code } = await pairingWindowOf(edge);
    const wrong = await pairCli(signaling.url, edge, dir, code === '000000' ? '111111' : '000000');
    expect(wrong.code).toBe(10);
    expect((await pairCli(signaling.url, edge, dir, code)).code).toBe(0);
    for (const path of ['/up/json', '/up/json', '/up/missing']) {
      expect((await runClientCli(['fetch', path], { configHome: dir })).code).toBe(0);
    }

    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(sample(text, 'peerfetch_edge_requests_total{route="/up",status="2xx"}')).toBe(2);
    expect(sample(text, 'peerfetch_edge_requests_total{route="/up",status="4xx"}')).toBe(1);
    expect(sample(text, 'peerfetch_edge_auth_failures_total{reason="wrong-code"}')).toBe(1);
    // The pairing session and one per fetch.
    expect(sample(text, 'peerfetch_edge_sessions_opened_total')).toBe(4);
    expect(sample(text, 'peerfetch_edge_paired_clients')).toBe(1);
    expect(sample(text, 'peerfetch_edge_signaling_joined')).toBe(1);
    expect(sample(text, 'peerfetch_edge_request_seconds_count{route="/up"}')).toBe(3);
    expect(text).toContain('peerfetch_edge_process_resident_memory_bytes');
    expect((await fetch(`${ops}/elsewhere`)).status).toBe(404);

    // Without the signaling server, phones cannot reach the edge: health says so.
    await signaling.stop();
    await edge.waitForLog((l) => l.msg === 'lost the signaling server; reconnecting');
    const down = await fetch(`${ops}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/^not registered with the signaling server/),
    });
    const downAt = Date.now();
    signaling = await startSignaling({ PORT: String(signaling.port) });
    await edge.waitForLog((l) => l.msg === 'joined room' && Number(l.time) >= downAt, 30_000);
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
  });
});
