import { describe, expect, it } from 'vitest';
import { bridgeDownloadUrl, bridgeUrl, parseBridgeUrl } from './protocol';

const scope = 'https://app.example/pf/';

describe('bridge URLs', () => {
  it('round-trip a device id that needs escaping, a path and a query', () => {
    const url = new URL(bridgeUrl('edge/1 a', '/api/media/a b.jpg?w=64'), scope);
    expect(url.href).toBe('https://app.example/pf/peer/edge%2F1%20a/api/media/a%20b.jpg?w=64');
    expect(parseBridgeUrl(url, scope)).toEqual({
      deviceId: 'edge/1 a',
      path: '/api/media/a%20b.jpg?w=64',
      download: false,
    });
  });

  it('mark downloads', () => {
    const url = new URL(bridgeDownloadUrl('e1', '/api/media/x.bin'), scope);
    expect(parseBridgeUrl(url, scope)).toEqual({
      deviceId: 'e1',
      path: '/api/media/x.bin',
      download: true,
    });
  });

  it('give the root for a bare device', () => {
    expect(parseBridgeUrl(new URL('peer/e1', scope), scope)?.path).toBe('/');
  });

  it('are not other paths, other origins or outside the scope', () => {
    for (const other of [
      'https://app.example/pf/peerjs/id',
      'https://app.example/pf/peer/',
      'https://app.example/peer/e1/x',
      'https://other.example/pf/peer/e1/x',
      'https://app.example/pf/peer/%E0%A4%A/x',
    ])
      expect(parseBridgeUrl(new URL(other), scope), other).toBeNull();
  });
});
