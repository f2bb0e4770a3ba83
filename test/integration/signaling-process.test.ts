/**
 * The server as a process: bad configuration, --help, SIGTERM, and the PWA it serves.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { randomPeerId } from '../helpers/peerjs-node.js';
import {
  httpRequest,
  SIGNALING_MAIN,
  type StartedSignaling,
  startSignaling,
  TEST_PEER_KEY,
} from '../helpers/signaling.js';

function runWith(env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [SIGNALING_MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    encoding: 'utf8',
    timeout: 10_000,
  });
}

describe('configuration', () => {
  it('stops with exit code 2 and names each bad variable', () => {
    const result = runWith({ PORT: 'eighty', MAX_ROOM_SIZE: '0', TRUST_PROXY: 'bogus' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/invalid configuration/);
    expect(result.stderr).toMatch(/PORT: must be a whole number/);
    expect(result.stderr).toMatch(/MAX_ROOM_SIZE: /);
    expect(result.stderr).toMatch(/TRUST_PROXY: /);
    expect(result.stdout).toBe('');
  });

  it('requires ROOM_SECRET in production', () => {
    const result = runWith({ NODE_ENV: 'production' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/ROOM_SECRET: required when NODE_ENV=production/);
  });

  it('prints --help', () => {
    const result = runWith({}, ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/TRUST_PROXY/);
    expect(result.stdout).toMatch(/TURN_SECRET/);
  });

  it('exits 1 with one line naming PORT when the port is taken', async () => {
    const first = await startSignaling();
    try {
      const second = runWith({ PORT: String(first.port), ROOM_SECRET: 'y'.repeat(32) });
      expect(second.status).toBe(1);
      // One line for the person at the terminal, naming PORT; the details in the log.
      expect(second.stderr).toBe(
        `peerfetch-signaling: port ${first.port} on 127.0.0.1 is already in use by another program: stop it, or set PORT to a free port\n`,
      );
      expect(second.stdout).toMatch(/"level":60/);
      expect(second.stdout).toMatch(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  it('warns when it makes up a ROOM_SECRET', async () => {
    const server = await startSignaling({ ROOM_SECRET: '' });
    await server.stop();
    expect(
      server.logs.some((line) => line.level === 40 && String(line.msg).includes('ROOM_SECRET')),
    ).toBe(true);
  });
});

describe('SIGTERM', () => {
  it('closes WebSockets with 1001 and exits 0', async () => {
    const server = await startSignaling();
    const socket = new WebSocket(
      `ws://127.0.0.1:${server.port}/peerjs/peerjs?key=${TEST_PEER_KEY}&id=${randomPeerId()}&token=t1`,
    );
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closeCode = new Promise<number>((resolve) =>
      socket.once('close', (code) => resolve(code)),
    );
    await server.stop();
    expect(await closeCode).toBe(1001);
    expect(server.exitCode()).toBe(0);
  });
});

describe('the PWA', () => {
  let server: StartedSignaling;
  const dir = mkdtempSync(join(tmpdir(), 'pf-pwa-'));
  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>PeerFetch</title>');
    writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
    writeFileSync(join(dir, 'assets', 'index-BdD3x_9a.js'), 'console.log(1);');
    writeFileSync(join(dir, 'favicon.ico'), 'icon');
    server = await startSignaling({ PWA_DIR: dir });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never caches index.html and the service worker', async () => {
    for (const path of ['/', '/index.html', '/sw.js']) {
      const result = await httpRequest(`${server.url}${path}`);
      expect(result.status, path).toBe(200);
      expect(result.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('caches hashed assets for a year, and revalidates the rest', async () => {
    const asset = await httpRequest(`${server.url}/assets/index-BdD3x_9a.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await httpRequest(`${server.url}/favicon.ico`);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('falls back to index.html for unknown pages, not for missing files', async () => {
    const page = await httpRequest(`${server.url}/devices/kitchen`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>PeerFetch</title>');
    expect(page.headers['cache-control']).toBe('no-store');
    const missing = await httpRequest(`${server.url}/assets/missing-12345678.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('sends security headers', async () => {
    const result = await httpRequest(`${server.url}/`);
    expect(result.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(result.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
    expect(result.headers['x-content-type-options']).toBe('nosniff');
    expect(result.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(result.headers['x-powered-by']).toBeUndefined();
  });

  it('still answers health checks beside the site', async () => {
    const health = await httpRequest(`${server.url}/healthz`);
    expect(health.json).toEqual({ status: 'ok', peers: 0, rooms: 0 });
  });
});

describe('CORS', () => {
  let server: StartedSignaling;
  beforeAll(async () => {
    server = await startSignaling({ CORS_ORIGINS: 'https://app.example.org' });
  });
  afterAll(() => server.stop());

  const preflight = (origin: string) =>
    httpRequest(`${server.url}/rooms/join`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('allows the configured origin on the APIs', async () => {
    const result = await preflight('https://app.example.org');
    expect(result.status).toBe(204);
    expect(result.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(result.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives no CORS grant to any other origin', async () => {
    const result = await preflight('https://evil.example');
    expect(result.headers['access-control-allow-origin']).toBeUndefined();
  });
});
