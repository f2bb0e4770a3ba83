import { describe, expect, it } from 'vitest';
import { receiveStream, sendStream } from './port-stream';

/** A source of `n` chunks of `size` bytes that counts how many were pulled from it. */
function countingSource(n: number, size: number) {
  let pulled = 0;
  let cancelled: unknown;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled === n) return controller.close();
        controller.enqueue(new Uint8Array(size).fill(pulled % 256));
        pulled += 1;
      },
      cancel(reason) {
        cancelled = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled, cancelled: () => cancelled };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

describe('a stream over a MessagePort', () => {
  it('arrives whole and in order', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(100, 1000);
    sendStream(source.stream, port1);
    const chunks = await readAll(receiveStream(port2).readable);
    expect(chunks).toHaveLength(100);
    chunks.forEach((chunk, i) => {
      expect(chunk.byteLength).toBe(1000);
      expect(chunk[0]).toBe(i % 256);
    });
  });

  it('reads from the source only as far as the receiver has room for', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(1000, 16);
    sendStream(source.stream, port1);
    const { readable } = receiveStream(port2, { window: 4 });
    const reader = readable.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 50));
    // One read and four queued: never the whole source.
    expect(source.pulled()).toBeLessThanOrEqual(6);
    await reader.cancel(new Error('enough'));
  });

  it('cancels the source when the receiver cancels', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(1000, 16);
    sendStream(source.stream, port1);
    const { readable, done } = receiveStream(port2);
    const reader = readable.getReader();
    await reader.read();
    await reader.cancel(new Error('viewer closed'));
    await done;
    await expect
      .poll(() => (source.cancelled() as Error | undefined)?.message)
      .toBe('viewer closed');
  });

  it('cancels the source when the signal aborts, and fails the stream', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(1000, 16);
    sendStream(source.stream, port1);
    const abort = new AbortController();
    const { readable } = receiveStream(port2, { signal: abort.signal });
    const reader = readable.getReader();
    await reader.read();
    abort.abort(new Error('page aborted'));
    await expect(reader.read()).rejects.toThrow('page aborted');
    await expect.poll(() => source.cancelled()).toBeDefined();
  });

  it('passes a source failure on as an error', async () => {
    const { port1, port2 } = new MessageChannel();
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('session closed'));
      },
    });
    sendStream(failing, port1);
    await expect(readAll(receiveStream(port2).readable)).rejects.toThrow('session closed');
  });

  it('ends at once for no body', async () => {
    const { port1, port2 } = new MessageChannel();
    sendStream(null, port1);
    expect(await readAll(receiveStream(port2).readable)).toEqual([]);
  });
});
