import { describe, expect, it } from 'vitest';
import { rewriteHeaders, rewriteLocation, rewriteSetCookie } from './rewrite.js';

const hb = { prefix: '/hb', upstream: 'http://127.0.0.1:8080' };
const api = { prefix: '/ha/api', upstream: 'http://127.0.0.1:8123/api' };
const root = { prefix: '/', upstream: 'http://127.0.0.1:8080' };
const asked = new URL('http://127.0.0.1:8080/redirect/3');

describe('rewriteLocation', () => {
  it.each([
    ['/relative-redirect/2', '/hb/relative-redirect/2'],
    ['get?a=1#frag', '/hb/redirect/get?a=1#frag'],
    ['../get', '/hb/get'],
    ['http://127.0.0.1:8080/get', '/hb/get'],
    ['http://127.0.0.1:8080', '/hb/'],
    ['https://example.org/elsewhere', 'https://example.org/elsewhere'],
    ['//example.org/x', '//example.org/x'],
    ['http://127.0.0.1:9999/get', 'http://127.0.0.1:9999/get'],
  ])('under /hb, %s becomes %s', (location, expected) => {
    expect(rewriteLocation(location, asked, hb)).toBe(expected);
  });

  it('maps the upstream base path onto the prefix, and leaves paths above the base alone', () => {
    const requested = new URL('http://127.0.0.1:8123/api/states');
    expect(rewriteLocation('/api/config', requested, api)).toBe('/ha/api/config');
    expect(rewriteLocation('http://127.0.0.1:8123/api', requested, api)).toBe('/ha/api/');
    expect(rewriteLocation('/apix', requested, api)).toBe('/apix');
    expect(rewriteLocation('/login', requested, api)).toBe('/login');
    // Dot segments are resolved before mapping: one that climbs above the base is not mapped.
    expect(rewriteLocation('/api/../login', requested, api)).toBe('/api/../login');
    expect(rewriteLocation('/api/x/../config', requested, api)).toBe('/ha/api/config');
  });

  it('at the root route, an absolute URL to the upstream becomes its path', () => {
    expect(rewriteLocation('http://127.0.0.1:8080/get?x', asked, root)).toBe('/get?x');
  });
});

describe('rewriteSetCookie', () => {
  it.each([
    ['a=1; Path=/', 'a=1; Path=/hb'],
    ['a=1; path=/cookies; HttpOnly', 'a=1; path=/hb/cookies; HttpOnly'],
    ['a=1; Path = /x ; Secure', 'a=1; Path = /hb/x; Secure'],
    ['a=1', 'a=1'],
    ['a=1; Path=relative', 'a=1; Path=relative'],
    [
      'a=1; Expires=Wed, 21 Oct 2035 07:28:00 GMT; Path=/',
      'a=1; Expires=Wed, 21 Oct 2035 07:28:00 GMT; Path=/hb',
    ],
  ])('%s becomes %s', (cookie, expected) => {
    expect(rewriteSetCookie(cookie, hb)).toBe(expected);
  });

  it('maps the base path, and leaves a path above the base alone', () => {
    expect(rewriteSetCookie('s=1; Path=/api', api)).toBe('s=1; Path=/ha/api');
    expect(rewriteSetCookie('s=1; Path=/api/x', api)).toBe('s=1; Path=/ha/api/x');
    expect(rewriteSetCookie('s=1; Path=/', api)).toBe('s=1; Path=/');
  });
});

describe('rewriteHeaders', () => {
  it('rewrites Location, Content-Location and every Set-Cookie, keeping them apart', () => {
    const headers = new Headers([
      ['location', 'http://127.0.0.1:8080/get'],
      ['content-location', '/anything'],
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2; Path=/x'],
      ['x-other', '/kept'],
    ]);
    rewriteHeaders(headers, asked, hb);
    expect(headers.get('location')).toBe('/hb/get');
    expect(headers.get('content-location')).toBe('/hb/anything');
    expect(headers.getSetCookie()).toEqual(['a=1; Path=/hb', 'b=2; Path=/hb/x']);
    expect(headers.get('x-other')).toBe('/kept');
  });
});
