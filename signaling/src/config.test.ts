import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, SignalingConfigError } from './config.js';

const SECRET = 'x'.repeat(32);

function issuesOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof SignalingConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a SignalingConfigError');
}

describe('parseConfig', () => {
  it('has safe defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: undefined,
      peerKey: 'peerjs',
      trustProxy: false,
      corsOrigins: [],
      maxRoomSize: 32,
      concurrentLimit: 5000,
      aliveTimeoutMs: 60_000,
      stunUrls: [],
      turnUrls: [],
      turnSecret: undefined,
      turnTtlSeconds: 86_400,
      pwaDir: undefined,
      logLevel: 'info',
      roomSecretGenerated: true,
      reservationTtlMs: 7 * 86_400_000,
      maxReservations: 50_000,
      newIdsPerAddress: 60,
      redisUrl: undefined,
      publicMetrics: false,
      maxSocketsPerAddress: 64,
      maxMembersPerAddress: 32,
    });
    expect(config.roomSecret.length).toBeGreaterThanOrEqual(32);
    expect(parseConfig({}).roomSecret).not.toBe(config.roomSecret);
  });

  it('reads every variable', () => {
    const config = parseConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      PEER_KEY: 'home',
      ROOM_SECRET: SECRET,
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
      CORS_ORIGINS: 'https://app.example.org,http://localhost:5173',
      MAX_ROOM_SIZE: '4',
      STUN_URLS: 'stun:stun.example.org:3478',
      TURN_URLS: 'turn:turn.example.org:3478,turns:turn.example.org:5349',
      TURN_SECRET: 'a-long-turn-secret',
      TURN_TTL: '600',
      LOG_LEVEL: 'debug',
      ROOMS_RATE_LIMIT: '5',
      RESERVATION_TTL: '3600',
      MAX_RESERVATIONS: '6000',
      NEW_IDS_PER_ADDRESS: '10',
      MAX_SOCKETS_PER_ADDRESS: '8',
      MAX_MEMBERS_PER_ADDRESS: '3',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      peerKey: 'home',
      roomSecret: SECRET,
      roomSecretGenerated: false,
      trustProxy: ['loopback', '10.0.0.0/8'],
      corsOrigins: ['https://app.example.org', 'http://localhost:5173'],
      maxRoomSize: 4,
      turnUrls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'],
      turnTtlSeconds: 600,
      logLevel: 'debug',
      roomsRateLimit: 5,
      reservationTtlMs: 3_600_000,
      maxReservations: 6000,
      newIdsPerAddress: 10,
      maxSocketsPerAddress: 8,
      maxMembersPerAddress: 3,
    });
  });

  it('keeps room for a reservation per connected peer', () => {
    expect(issuesOf({ MAX_RESERVATIONS: '100' })).toEqual([
      'MAX_RESERVATIONS: must be at least CONCURRENT_LIMIT',
    ]);
    expect(parseConfig({ MAX_RESERVATIONS: '100', CONCURRENT_LIMIT: '100' }).maxReservations).toBe(
      100,
    );
    expect(issuesOf({ RESERVATION_TTL: '10' })[0]).toMatch(/^RESERVATION_TTL: /);
    expect(issuesOf({ MAX_SOCKETS_PER_ADDRESS: '0' })[0]).toMatch(/^MAX_SOCKETS_PER_ADDRESS: /);
  });

  it('reads TRUST_PROXY the way express does', () => {
    expect(parseConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(parseConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(issuesOf({ TRUST_PROXY: 'not-an-address' })[0]).toMatch(/^TRUST_PROXY: /);
  });

  it('names every bad variable', () => {
    const issues = issuesOf({
      PORT: 'http',
      MAX_ROOM_SIZE: '1',
      LOG_LEVEL: 'loud',
      STUN_URLS: 'http://x',
    });
    expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual([
      'LOG_LEVEL',
      'MAX_ROOM_SIZE',
      'PORT',
      'STUN_URLS',
    ]);
    expect(issuesOf({ PORT: '70000' })[0]).toMatch(/^PORT: /);
    expect(issuesOf({ CORS_ORIGINS: 'https://a.example/path' })[0]).toMatch(/^CORS_ORIGINS: /);
    expect(issuesOf({ ROOM_SECRET: 'short' })[0]).toMatch(/^ROOM_SECRET: /);
    expect(issuesOf({ PEER_KEY: 'has space' })[0]).toMatch(/^PEER_KEY: /);
  });

  it('requires ROOM_SECRET in production', () => {
    expect(issuesOf({ NODE_ENV: 'production' })).toEqual([
      'ROOM_SECRET: required when NODE_ENV=production',
    ]);
    expect(parseConfig({ NODE_ENV: 'production', ROOM_SECRET: SECRET }).roomSecretGenerated).toBe(
      false,
    );
  });

  it('never gives TURN without a secret, nor a secret without TURN', () => {
    expect(issuesOf({ TURN_URLS: 'turn:t.example.org' })).toEqual([
      'TURN_SECRET: required when TURN_URLS is set',
    ]);
    expect(issuesOf({ TURN_SECRET: 'a-long-turn-secret' })).toEqual([
      'TURN_URLS: required when TURN_SECRET is set',
    ]);
  });

  it('checks PWA_DIR holds an index.html', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-config-'));
    expect(issuesOf({ PWA_DIR: join(dir, 'missing') })[0]).toMatch(/is not a directory/);
    mkdirSync(join(dir, 'empty'));
    expect(issuesOf({ PWA_DIR: join(dir, 'empty') })[0]).toMatch(/has no index.html/);
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    try {
      expect(parseConfig({ PWA_DIR: dir }).pwaDir).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a redis:// URL and a PUBLIC_METRICS flag, and refuses anything else', () => {
    const config = parseConfig({ REDIS_URL: 'redis://10.0.0.5:6379/3', PUBLIC_METRICS: 'true' });
    expect(config.redisUrl).toBe('redis://10.0.0.5:6379/3');
    expect(config.publicMetrics).toBe(true);
    expect(issuesOf({ REDIS_URL: 'http://redis:6379', PUBLIC_METRICS: 'yes' })).toEqual([
      'REDIS_URL: must be a redis:// or rediss:// URL',
      'PUBLIC_METRICS: must be true or false',
    ]);
  });
});
