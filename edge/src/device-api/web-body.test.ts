import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { webStreamOf } from './web-body.js';

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += Buffer.from(chunk).toString();
  return text;
}

/** A source of `count` chunks that records how many it was asked for. */
function countingSource(count: number) {
  let produced = 0;
  const source = new Readable({
    highWaterMark: 1,
    read() {
      produced++;
      this.push(produced > count ? null : Buffer.from(`chunk${produced};`));
    },
  });
  return { source, produced: () => produced };
}

describe('webStreamOf', () => {
  it('passes every chunk in order, then ends', async () => {
    const { source } = countingSource(5);
    expect(await readAll(webStreamOf(source))).toBe('chunk1;chunk2;chunk3;chunk4;chunk5;');
  });

  it('reads the source only as the reader asks', async () => {
    const { source, produced } = countingSource(1000);
    const reader = webStreamOf(source).getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 50));
    expect(produced()).toBeLessThan(6);
    await reader.cancel();
  });

  it('fails the stream with the source error', async () => {
    const source = new Readable({ read() {} });
    const stream = webStreamOf(source);
    source.push(Buffer.from('first'));
    setTimeout(() => source.destroy(new Error('upstream reset')), 10);
    await expect(readAll(stream)).rejects.toThrow('upstream reset');
  });

  it('destroys the source when the reader cancels', async () => {
    const { source } = countingSource(1000);
    const reader = webStreamOf(source).getReader();
    await reader.read();
    await reader.cancel(new Error('client went away'));
    expect(source.destroyed).toBe(true);
  });
});
