import { BufferedResponse } from '@peerfetch/shared';
import { useTestUpstream } from '@peerfetch/shared/testing/node';
import { describe, expect, it } from 'vitest';
import { createUpstreamHandler } from './upstream.js';

const upstream = useTestUpstream();

const handler = () =>
  createUpstreamHandler({
    baseUrl: upstream.url,
    label: '/up',
    timeoutMs: 5000,
    maxBodyBytes: 1024,
  });
const get = () => handler()(new Request('http://peerfetch.invalid/'), '/drip');

describe('small answers', () => {
  it('a fast one is read whole and sent in one go', async () => {
    upstream.handle = (_r, res) => {
      res.writeHead(200, { 'content-length': '5' });
      res.end('quick');
    };
    const response = await get();
    expect(response).toBeInstanceOf(BufferedResponse);
    expect(await response.text()).toBe('quick');
  });

  it('a slow one streams: its first bytes reach the reader before the upstream sends the rest', async () => {
    let sendRest!: () => void;
    let restSent = false;
    upstream.handle = (_r, res) => {
      res.writeHead(200, { 'content-length': '10', 'content-type': 'text/event-stream' });
      res.write('first');
      sendRest = () => {
        restSent = true;
        res.end('-rest');
      };
    };
    const response = await get();
    expect(response).not.toBeInstanceOf(BufferedResponse);
    expect(response.headers.get('content-length')).toBe('10');
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first');
    expect(restSent, 'the first bytes came before the rest was sent').toBe(false);
    sendRest();
    let rest = '';
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      rest += new TextDecoder().decode(read.value);
    }
    expect(rest).toBe('-rest');
  });

  it('a slow one that is cut short fails its stream', async () => {
    let cut!: () => void;
    upstream.handle = (_r, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('part');
      cut = () => res.socket?.destroy();
    };
    const response = await get();
    expect(response).not.toBeInstanceOf(BufferedResponse);
    cut();
    await expect(response.text()).rejects.toThrow(/closed before the end/);
  });
});
