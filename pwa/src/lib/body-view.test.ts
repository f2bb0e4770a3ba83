import { describe, expect, it } from 'vitest';
import { bodyView, HEX_PREVIEW_BYTES, hexDump, parseHeaderLines } from './body-view';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('bodyView', () => {
  it('pretty-prints JSON, including problem+json', () => {
    expect(bodyView('application/json; charset=utf-8', utf8('{"a":1}'))).toEqual({
      kind: 'json',
      text: '{\n  "a": 1\n}',
    });
    expect(bodyView('application/problem+json', utf8('{"status":404}')).kind).toBe('json');
  });
  it('shows invalid JSON as text rather than failing', () => {
    expect(bodyView('application/json', utf8('{oops'))).toEqual({ kind: 'text', text: '{oops' });
  });
  it('shows images as images and text as text', () => {
    expect(bodyView('image/webp', new Uint8Array([1, 2]))).toEqual({
      kind: 'image',
      type: 'image/webp',
    });
    expect(bodyView('text/html', utf8('<p>hi</p>'))).toEqual({ kind: 'text', text: '<p>hi</p>' });
  });
  it('falls back to hex for binary or non-UTF-8 bodies, truncating long ones', () => {
    const view = bodyView('application/octet-stream', new Uint8Array(HEX_PREVIEW_BYTES + 10));
    expect(view.kind).toBe('hex');
    expect(view.kind === 'hex' && view.truncated).toBe(true);
    expect(bodyView('text/plain', new Uint8Array([0xff, 0xfe])).kind).toBe('hex');
  });
  it('says when there is no body', () => {
    expect(bodyView('text/plain', new Uint8Array())).toEqual({ kind: 'empty' });
  });
});

describe('hexDump', () => {
  it('prints offset, hex in two groups and ASCII', () => {
    const dump = hexDump(utf8('PeerFetch!\n\u0000ABCDEFGH'));
    expect(dump.split('\n')).toEqual([
      '00000000  50 65 65 72 46 65 74 63  68 21 0a 00 41 42 43 44  |PeerFetch!..ABCD|',
      '00000010  45 46 47 48                                       |EFGH|',
    ]);
  });
});

describe('parseHeaderLines', () => {
  it('parses Name: value lines and skips blank ones', () => {
    expect(parseHeaderLines('Accept: application/json\n\nX-A:  b:c ')).toEqual([
      ['Accept', 'application/json'],
      ['X-A', 'b:c'],
    ]);
  });
  it('names the line that is wrong', () => {
    expect(() => parseHeaderLines('Accept: x\nbroken')).toThrow(/line 2/);
  });
});
