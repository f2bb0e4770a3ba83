import { describe, expect, it } from 'vitest';
import { BufferedResponse, jsonResponse } from './buffered-response.js';

const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('BufferedResponse', () => {
  it('reads like an ordinary Response', async () => {
    const init = { status: 201, statusText: 'Made', headers: { 'x-a': '1' } };
    const response = new BufferedResponse(bytesOf('hello'), init);
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.statusText, response.headers.get('x-a')]).toEqual([
      201,
      'Made',
      '1',
    ]);
    expect(response.untouched).toBe(true);
    expect(response.bodyUsed).toBe(false);
    expect(await response.clone().text()).toBe('hello');
    expect(new Uint8Array(await response.clone().arrayBuffer())).toEqual(bytesOf('hello'));
    expect(await response.clone().bytes()).toEqual(bytesOf('hello'));
    expect(await (await response.clone().blob()).text()).toBe('hello');
    const reader = response.body!.getReader();
    expect(response.untouched).toBe(false);
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('hello');
    expect((await reader.read()).done).toBe(true);
    expect(response.bodyUsed).toBe(true);
    expect(() => response.clone()).toThrow(TypeError);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it('reads its bytes directly once, as a used body, and hands out copies', async () => {
    const response = new BufferedResponse(bytesOf('\uFEFF{"a":1}'));
    const copy = response.clone();
    expect(await response.json()).toEqual({ a: 1 }); // the BOM is dropped, as by Response
    expect([response.bodyUsed, response.untouched]).toEqual([true, false]);
    await expect(response.text()).rejects.toThrow(TypeError);
    await expect(response.arrayBuffer()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
    // Its stream is a used one too.
    expect(() => new Response(response.body)).toThrow(/disturbed or locked/);

    const bytes = await copy.bytes();
    bytes.fill(0);
    expect(copy.content).toEqual(bytesOf('\uFEFF{"a":1}'));
    await expect(new BufferedResponse(bytesOf('{oops')).json()).rejects.toThrow(SyntaxError);
    expect(await new BufferedResponse(new Uint8Array([0xff])).text()).toBe('\uFFFD');
  });

  it('has no body for a status that cannot have one, and refuses bytes for it', () => {
    expect(new BufferedResponse(new Uint8Array(0), { status: 204 }).body).toBeNull();
    expect(() => new BufferedResponse(bytesOf('x'), { status: 304 })).toThrow(/304/);
  });

  it('makes JSON answers with their content type', async () => {
    const response = jsonResponse({ a: [1, 2] }, { status: 202, headers: { 'x-b': '2' } });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-b')).toBe('2');
    expect(await response.json()).toEqual({ a: [1, 2] });
  });
});
