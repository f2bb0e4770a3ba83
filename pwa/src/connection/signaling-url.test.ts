import { describe, expect, it } from 'vitest';
import {
  defaultSignalingUrl,
  InvalidSignalingUrlError,
  parseSignalingUrl,
  peerServerOptions,
} from './signaling-url';

describe('signaling URL', () => {
  it('derives PeerJS options from an https URL with the default port', () => {
    expect(peerServerOptions(parseSignalingUrl('https://signal.example.org'))).toEqual({
      host: 'signal.example.org',
      port: 443,
      path: '/peerjs',
      secure: true,
    });
  });
  it('keeps an explicit port and a path prefix, over plain http', () => {
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
