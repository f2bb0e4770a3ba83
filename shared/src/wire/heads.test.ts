import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import {
  decodeRequestHead,
  decodeResponseHead,
  encodeRequestHead,
  encodeResponseHead,
  headerListOf,
  TooManyHeaderFieldsError,
} from './heads.js';
import { packValue } from './msgpack.js';

function rejects(fn: () => unknown): void {
  expect(fn).toThrow(ProtocolError);
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('request and response heads', () => {
  it('round-trip, keeping repeated header fields', () => {
    const request = {
      method: 'GET',
      path: '/a/b?c=%20d',
      headers: [
        ['accept', 'a'],
        ['x-many', '1'],
        ['x-many', '2'],
      ] as [string, string][],
    };
    expect(decodeRequestHead(encodeRequestHead(request))).toEqual(request);
    const response = {
      status: 404,
      statusText: 'Not Found',
      headers: [
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ] as [string, string][],
    };
    expect(decodeResponseHead(encodeResponseHead(response))).toEqual(response);
  });

  it('lower-cases header names', () => {
    const head = decodeRequestHead(
      packValue({ method: 'GET', path: '/', headers: [['X-Thing', 'v']] }),
    );
    expect(head.headers).toEqual([['x-thing', 'v']]);
  });

  it('rejects bad methods, paths and headers', () => {
    rejects(() => decodeRequestHead(packValue({ method: 'GE T', path: '/', headers: [] })));
    rejects(() =>
      decodeRequestHead(packValue({ method: 'GET', path: 'http://evil/', headers: [] })),
    );
    rejects(() => decodeRequestHead(packValue({ method: 'GET', path: '/a b', headers: [] })));
    rejects(() =>
      decodeRequestHead(packValue({ method: 'GET', path: '/', headers: [['bad name', 'v']] })),
    );
    rejects(() =>
      decodeRequestHead(packValue({ method: 'GET', path: '/', headers: [['x', 'a\r\nb']] })),
    );
    rejects(() => decodeRequestHead(packValue({ method: 'GET', path: '/', headers: [['x']] })));
    rejects(() => decodeRequestHead(packValue({ method: 'GET', path: '/', headers: 'x' })));
    rejects(() => decodeRequestHead(packValue([1, 2, 3])));
    rejects(() => decodeRequestHead(new Uint8Array([0xc1])));
  });

  it('rejects statuses the Fetch API cannot represent', () => {
    for (const status of [100, 199, 600, 200.5, '200']) {
      rejects(() => decodeResponseHead(packValue({ status, headers: [] })));
    }
  });

  it('refuses more than 256 header fields as one exchange, keeping the rest of the head', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => [`x-${i}`, 'v']);
    expect(
      decodeRequestHead(packValue({ method: 'GET', path: '/', headers: fields(256) })).headers,
    ).toHaveLength(256);
    const request = () =>
      decodeRequestHead(packValue({ method: 'HEAD', path: '/a?b', headers: fields(257) }));
    expect(request).toThrow(TooManyHeaderFieldsError);
    expect(request).not.toThrow(ProtocolError);
    expect(caught(request)).toMatchObject({
      count: 257,
      head: { method: 'HEAD', path: '/a?b', headers: [] },
    });
    const response = () =>
      decodeResponseHead(packValue({ status: 201, statusText: 'ok', headers: fields(300) }));
    expect(caught(response)).toMatchObject({
      count: 300,
      head: { status: 201, statusText: 'ok', headers: [] },
    });
    // A head that is wrong in other ways stays a protocol error, however many fields it has.
    rejects(() => decodeRequestHead(packValue({ method: 'G T', path: '/', headers: fields(300) })));
  });

  it('lists Headers objects in order', () => {
    const headers = new Headers([
      ['b', '2'],
      ['a', '1'],
    ]);
    expect(headerListOf(headers)).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});
