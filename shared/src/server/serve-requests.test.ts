import { connectInMemory, type InMemoryConnection, sleep } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedResponse } from '../buffered-response.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';

let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

describe('serveRequests', () => {
  it('answers requests beyond the concurrency limit with 429 problem+json', async () => {
    const gates: (() => void)[] = [];
    connection = connectInMemory(
      () => new Promise<Response>((resolve) => gates.push(() => resolve(new Response('done')))),
      { serve: { maxConcurrentRequests: 2 } },
    );
    const first = [connection.client.fetch('/1'), connection.client.fetch('/2')];
    await sleep(20);
    const third = await connection.client.fetch('/3');
    expect(third.status).toBe(429);
    expect(third.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(await third.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    for (const open of gates.splice(0)) open();
    for (const response of await Promise.all(first)) expect(await response.text()).toBe('done');
    // The finished requests no longer count against the limit.
    const fourth = connection.client.fetch('/4');
    await sleep(20);
    expect(gates).toHaveLength(1);
    gates[0]!();
    expect((await fourth).status).toBe(200);
  });

  it('sends a BufferedResponse as it is, and only its head to HEAD', async () => {
    const served: BufferedResponse[] = [];
    connection = connectInMemory(async () => {
      const response = new BufferedResponse(new TextEncoder().encode('kept whole'), {
        headers: { 'content-type': 'text/plain', 'content-length': '10' },
      });
      served.push(response);
      return response;
    });
    const get = await connection.client.fetch('/a');
    expect([get.status, get.headers.get('content-length'), await get.text()]).toEqual([
      200,
      '10',
      'kept whole',
    ]);
    const head = await connection.client.fetch('/a', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.body]).toEqual([200, '10', null]);
    // Sent from its bytes: no web stream was ever made for either answer.
    expect(served.map((response) => response.untouched)).toEqual([true, true]);
  });

  it('answers an oversized head with 431', async () => {
    connection = connectInMemory(async () => new Response('never'), {
      serve: { maxHeadSize: 1024 },
    });
    const response = await connection.client.fetch('/', { headers: { 'x-big': 'a'.repeat(2000) } });
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({ status: 431 });
  });

  it('answers a throwing handler with 500 and keeps serving', async () => {
    connection = connectInMemory(async (request) => {
      if (new URL(request.url).pathname === '/boom') throw new Error('secret internals');
      return new Response('fine');
    });
    const failed = await connection.client.fetch('/boom');
    expect(failed.status).toBe(500);
    const problem = await failed.text();
    expect(problem).not.toContain('secret internals');
    expect(await (await connection.client.fetch('/ok')).text()).toBe('fine');
  });

  it('gives the handler a standard Request with a streaming body', async () => {
    connection = connectInMemory(async (request) => {
      const chunks: number[] = [];
      for await (const chunk of request.body!) chunks.push(chunk.byteLength);
      return Response.json({ url: request.url, method: request.method, chunks: chunks.length > 0 });
    });
    const response = await connection.client.fetch('/up?x=1', {
      method: 'PUT',
      body: new Uint8Array(600 * 1024),
    });
    expect(await response.json()).toEqual({
      url: 'http://peerfetch.invalid/up?x=1',
      method: 'PUT',
      chunks: true,
    });
  });

  it('refuses a head too large to send at all', async () => {
    connection = connectInMemory(async () => new Response('never'));
    await expect(
      connection.client.fetch('/', { headers: { 'x-huge': 'a'.repeat(300 * 1024) } }),
    ).rejects.toThrow(/exceeds/);
  });
});
