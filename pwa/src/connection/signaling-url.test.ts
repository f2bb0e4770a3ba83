import { peerServerOptions } from '@peerfetch/shared';
import { describe, expect, it } from 'vitest';
import { defaultSignalingUrl, InvalidSignalingUrlError, parseSignalingUrl } from './signaling-url';

describe('signaling URL', () => {
  it('keeps an explicit port and a path prefix for PeerJS, over plain http', () => {
    // The parsed URL ends in a slash; PeerJS's path must not get a double one.
    expect(peerServerOptions(parseSignalingUrl('http://192.168.1.20:8080/pf'))).toEqual({
      host: '192.168.1.20',
      port: 8080,
      path: '/pf/peerjs',
      secure: false,
    });
  });
  it('adds https:// when the scheme is missing and drops query and fragment', () => {
    expect(parseSignalingUrl(' signal.example.org/?x=1#y ').href).toBe(
      'https://signal.example.org/',
    );
  });
  it('rejects non-web schemes and empty input with a plain message', () => {
    expect(() => parseSignalingUrl('ftp://x')).toThrow(InvalidSignalingUrlError);
    expect(() => parseSignalingUrl('   ')).toThrow(/Enter the address/);
    expect(() => parseSignalingUrl('http://exa mple')).toThrow(/not a web address/);
  });
  it('defaults to the origin and folder the app was served from', () => {
    expect(defaultSignalingUrl({ href: 'http://127.0.0.1:9000/#/settings' })).toBe(
      'http://127.0.0.1:9000',
    );
    expect(defaultSignalingUrl({ href: 'https://h.example/app/index.html#/' })).toBe(
      'https://h.example/app',
    );
  });
});
