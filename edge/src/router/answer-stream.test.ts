import { get, type IncomingMessage } from 'node:http';
import { useTestUpstream } from '@peerfetch/shared/testing/node';
import { describe, expect, it } from 'vitest';
import { answerStream, CutShortError } from './answer-stream.js';

const upstream = useTestUpstream();

function answer(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(`${upstream.url}/`, resolve).on('error', reject));
}

/** Bytes that differ from position to position, so a reordered or repeated piece shows. */
function pattern(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >>> 8)) & 0xff;
  return bytes;
}

/** Reads the stream to its end with one reused buffer of `size`, as the session does. */
async function readByob(stream: ReadableStream<Uint8Array>, size: number): Promise<Buffer> {
  const reader = stream.getReader({ mode: 'byob' });
  const parts: Buffer[] = [];
  let buffer = new ArrayBuffer(size);
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buffer));
    if (done) return Buffer.concat(parts);
    parts.push(Buffer.from(value));
    buffer = value.buffer as ArrayBuffer;
  }
}

describe('answerStream', () => {
  it('copies the answer into the reader’s own buffer, whole and in order', async () => {
    const body = pattern(3 * 1024 * 1024 + 17);
    upstream.handle = (_r, res) => {
      res.setHeader('content-length', body.byteLength);
      res.end(body);
    };
    expect((await readByob(answerStream(await answer()), 256 * 1024)).equals(body)).toBe(true);
  });

  it('serves a reader without its own buffer too', async () => {
    const body = pattern(300_000);
    upstream.handle = (_r, res) => res.end(body);
    const received = await new Response(answerStream(await answer())).arrayBuffer();
    expect(Buffer.from(received).equals(body)).toBe(true);
  });

  it('ends an empty answer', async () => {
    upstream.handle = (_r, res) => res.end();
    expect((await readByob(answerStream(await answer()), 1024)).byteLength).toBe(0);
  });

  it('stops the upstream while nobody reads', async () => {
    let written = 0;
    let pushedBack!: () => void;
    const upstreamPushedBack = new Promise<void>((r) => {
      pushedBack = r;
    });
    upstream.handle = (_r, res) => {
      const chunk = Buffer.alloc(64 * 1024);
      const write = () => {
        while (written < 256 * 1024 * 1024) {
          written += chunk.byteLength;
          if (!res.write(chunk)) {
            pushedBack();
            res.once('drain', write);
            return;
          }
        }
        res.end();
      };
      write();
    };
    const stream = answerStream(await answer());
    await upstreamPushedBack;
    await new Promise((r) => setTimeout(r, 300));
    // What the loopback's socket buffers hold, no more: the unread answer stopped the upstream.
    expect(written).toBeLessThan(32 * 1024 * 1024);
    await stream.cancel();
  });

  it('fails with CutShortError when the upstream closes before the end', async () => {
    upstream.handle = (_r, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024) });
      res.write(pattern(100_000));
      setTimeout(() => res.socket!.destroy(), 20);
    };
    const reading = readByob(answerStream(await answer()), 64 * 1024);
    await expect(reading).rejects.toBeInstanceOf(CutShortError);
    await expect(reading).rejects.toThrow('closed before the end of its answer');
  });

  it('cancelling closes the upstream connection', async () => {
    const sawClose = upstream.answerOpenEnded('first');
    const reader = answerStream(await answer()).getReader({ mode: 'byob' });
    const { value } = await reader.read(new Uint8Array(1024));
    expect(new TextDecoder().decode(value)).toBe('first');
    await reader.cancel(new Error('the client went away'));
    await expect(sawClose).resolves.toBeUndefined();
  });
});
