import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { routeOf } from './measured-handler.js';
import { healthOf } from './server.js';

describe('the ops port', () => {
  it('listens on loopback unless configured, and can be turned off', () => {
    const base = { signaling: { url: 'https://signal.example' } };
    expect(configSchema.parse(base).ops.listen).toBe('127.0.0.1:9469');
    expect(configSchema.parse({ ...base, ops: { listen: 'off' } }).ops.listen).toBe('off');
    expect(configSchema.parse({ ...base, ops: { listen: '[::1]:9000' } }).ops.listen).toBe(
      '[::1]:9000',
    );
    expect(() => configSchema.parse({ ...base, ops: { listen: '9469' } })).toThrow(
      /host:port or off/,
    );
  });

  it('labels a request with the longest route prefix it is under', () => {
    const prefixes = ['/ha', '/ha/api', '/cam'];
    expect(routeOf(prefixes, '/ha/api/states')).toBe('/ha/api');
    expect(routeOf(prefixes, '/ha')).toBe('/ha');
    expect(routeOf(prefixes, '/hab/x')).toBe('/');
    expect(routeOf(prefixes, '/api/device')).toBe('/');
  });

  it('is healthy only while registered with the signaling server', () => {
    const status = (state: string) =>
      ({
        peerId: 'edge-1',
        version: '1.0.0',
        signaling: { state },
        sessions: 0,
        uptimeSeconds: 5,
      }) as never;
    expect(healthOf(status('joined'))).toMatchObject({ code: 200, body: { status: 'ok' } });
    expect(healthOf(status('reconnecting'))).toMatchObject({
      code: 503,
      body: { status: 'unavailable', reason: expect.stringContaining('(reconnecting)') },
    });
  });
});
