import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { buildHandler, buildRoutes } from './routes.js';

let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'pf-routes-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const config = (values: Record<string, unknown>) =>
  resolveConfig([
    { values: { signaling: { url: 'http://s.test' }, stateDir, ...values }, origins: new Map() },
  ]);
const logger = pino({ level: 'silent' });

describe('buildRoutes', () => {
  it('mounts the device API at / unless a route claims it or it is off', () => {
    expect(
      buildRoutes(config({ routes: { '/ha': 'http://127.0.0.1:1' } }), '1').map((r) => r.prefix),
    ).toEqual(['/ha', '/']);
    expect(buildRoutes(config({ routes: { '/': 'http://127.0.0.1:1' } }), '1')).toHaveLength(1);
    expect(buildRoutes(config({ deviceApi: { enabled: false } }), '1')).toHaveLength(0);
  });
});

describe('buildHandler', () => {
  it('answers HEAD with the head alone', async () => {
    const handler = buildHandler(config({}), '1.2.3', logger);
    const get = await handler(new Request('http://peerfetch.invalid/api/device'));
    expect(((await get.json()) as { agent: { version: string } }).agent.version).toBe('1.2.3');
    const head = await handler(
      new Request('http://peerfetch.invalid/api/device', { method: 'HEAD' }),
    );
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json');
    expect(head.body).toBeNull();
  });

  it('answers unknown paths with 404 problem+json', async () => {
    const handler = buildHandler(config({ deviceApi: { enabled: false } }), '1', logger);
    const response = await handler(new Request('http://peerfetch.invalid/api/device'));
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
