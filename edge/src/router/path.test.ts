import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPath, underPrefix } from './path.js';

describe('checkPath', () => {
  it.each([
    ['/api/device', '/api/device'],
    ['/', '/'],
    ['/a//b///c', '/a/b/c'],
    ['/media/photo.jpg', '/media/photo.jpg'],
    ['/a/%20b', '/a/%20b'],
  ])('accepts %s as %s', (raw, normal) => {
    expect(checkPath(raw)).toEqual({ ok: true, path: normal });
  });

  it.each([
    'api',
    '/a/../b',
    '/a/./b',
    '/..',
    '/a/%2e%2e/b',
    '/a/%2E%2e/b',
    '/a/..%2fb',
    '/a/%2F',
    '/a%5c..%5cb',
    '/a\\..\\b',
    '/a/%00',
    '/a/\u0000',
    '/a\nb',
  ])('refuses %j', (raw) => {
    expect(checkPath(raw).ok).toBe(false);
  });

  it('never lets a dot segment through, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('/', '.', '%', '2', 'e', 'f', 'a', '\\') }),
        (s) => {
          const result = checkPath(`/${s}`);
          if (result.ok) {
            expect(result.path.split('/')).not.toContain('..');
            // What an upstream that percent-decodes would see, byte by byte.
            const decoded = result.path.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) =>
              String.fromCharCode(Number.parseInt(hex, 16)),
            );
            expect(decoded).not.toMatch(/(^|[/\\])\.\.?([/\\]|$)/);
          }
        },
      ),
    );
  });
});

describe('underPrefix', () => {
  it('matches on segment boundaries only', () => {
    expect(underPrefix('/ha', '/ha')).toBe(true);
    expect(underPrefix('/ha/x', '/ha')).toBe(true);
    expect(underPrefix('/hax', '/ha')).toBe(false);
    expect(underPrefix('/anything', '/')).toBe(true);
  });
});

describe('checkPath on a route that allows encoded slashes', () => {
  it.each([
    ['/files/a%2Fb', '/files/a%2Fb'],
    ['/files/a%2fb%2Fc.txt', '/files/a%2fb%2Fc.txt'],
    ['/files//x%2F', '/files/x%2F'],
  ])('accepts %s as %s', (raw, normal) => {
    expect(checkPath(raw, true)).toEqual({ ok: true, path: normal });
  });

  it.each([
    '/files/..%2Fsecret',
    '/files/a%2F..%2F..%2Fsecret',
    '/files/%2F..',
    '/files/x%2F.%2Fy',
    '/files/%2e%2e%2Fsecret',
    '/files/a%5Cb',
    '/files/a%00b',
  ])('still refuses %j', (raw) => {
    expect(checkPath(raw, true).ok).toBe(false);
  });

  it('never lets a dot segment through to an upstream that decodes before it splits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('/', '.', '%', '2', 'e', 'f', 'F', 'a', '\\') }),
        (s) => {
          const result = checkPath(`/${s}`, true);
          if (result.ok) {
            const decoded = result.path.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) =>
              String.fromCharCode(Number.parseInt(hex, 16)),
            );
            expect(decoded).not.toMatch(/(^|[/\\])\.\.?([/\\]|$)/);
          }
        },
      ),
    );
  });
});
