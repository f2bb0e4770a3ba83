import { describe, expect, it } from 'vitest';
import { PEERJS_PATH } from './constants.js';
import { peerServerOptions } from './signaling-url.js';

describe('peerServerOptions', () => {
  it('takes https and its default port, and mounts PEERJS_PATH at the root', () => {
    expect(peerServerOptions('https://signal.example.org')).toEqual({
      host: 'signal.example.org',
      port: 443,
      path: PEERJS_PATH,
      secure: true,
    });
    expect(peerServerOptions('http://signal.example.org/').port).toBe(80);
  });

  it('keeps an explicit port and a base path, with or without a trailing slash', () => {
    const expected = { host: '192.168.1.20', port: 8080, path: `/pf${PEERJS_PATH}`, secure: false };
    expect(peerServerOptions('http://192.168.1.20:8080/pf')).toEqual(expected);
    expect(peerServerOptions(new URL('http://192.168.1.20:8080/pf/'))).toEqual(expected);
  });

  it('keeps the brackets of an IPv6 host, which PeerJS needs to build a valid URL', () => {
    const options = peerServerOptions('http://[::1]:9000');
    expect(options).toEqual({ host: '[::1]', port: 9000, path: PEERJS_PATH, secure: false });
    // What PeerJS builds its socket URL from (`${host}:${port}${path}`) must parse.
    expect(
      () => new URL(`ws://${options.host}:${options.port}${options.path}/peerjs`),
    ).not.toThrow();
  });

  it('rejects what is not a URL', () => {
    expect(() => peerServerOptions('signal.example.org')).toThrow(TypeError);
  });
});
