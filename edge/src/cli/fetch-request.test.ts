import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRequestInit, parseHeaders, UsageError } from './fetch-request.js';

describe('parseHeaders', () => {
  it('reads curl-style header lines, keeping repeated names', () => {
    const headers = parseHeaders(['X-A: 1', 'x-a: 2', 'Accept:application/json']);
    expect(headers.get('x-a')).toBe('1, 2');
    expect(headers.get('accept')).toBe('application/json');
  });

  it.each(['no colon', ': empty name', 'Bad Name: x'])('refuses %j', (line) => {
    expect(() => parseHeaders([line])).toThrow(UsageError);
  });
});

describe('buildRequestInit', () => {
  it('defaults to GET, and to POST with a body', async () => {
    expect((await buildRequestInit({})).method).toBe('GET');
    const post = await buildRequestInit({ data: 'a=1' });
    expect(post.method).toBe('POST');
    expect(post.body).toBe('a=1');
    expect((await buildRequestInit({ request: 'put', data: 'x' })).method).toBe('PUT');
  });

  it('streams @file with its length and refuses a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pf-cli-'));
    try {
      await writeFile(join(dir, 'f'), 'twelve bytes');
      const init = await buildRequestInit({ data: `@${join(dir, 'f')}` });
      expect((init.headers as Headers).get('content-length')).toBe('12');
      expect(await new Response(init.body).text()).toBe('twelve bytes');
      await expect(buildRequestInit({ data: `@${join(dir, 'missing')}` })).rejects.toThrow(
        /ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives every value body its length in bytes, not characters', async () => {
    const init = await buildRequestInit({ data: 'héllo' });
    expect((init.headers as Headers).get('content-length')).toBe('6');
    const given = await buildRequestInit({ data: 'abc', header: ['Content-Length: 3'] });
    expect((given.headers as Headers).get('content-length')).toBe('3');
  });

  it('refuses a body on GET', async () => {
    await expect(buildRequestInit({ request: 'GET', data: 'x' })).rejects.toThrow(
      /cannot carry a body/,
    );
  });
});
