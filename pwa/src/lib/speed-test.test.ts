import { describe, expect, it } from 'vitest';
import { MIB, runSpeedTest } from './speed-test';

/** A device with two media files that honours single byte ranges. */
function fakeDevice(sizes: Record<string, number>) {
  const requests: string[] = [];
  const fetch = async (path: string, init?: RequestInit) => {
    requests.push(`${path} ${new Headers(init?.headers).get('range') ?? ''}`.trim());
    if (path.startsWith('/api/media?')) {
      const items = Object.entries(sizes).map(([name, size]) => ({
        name,
        size,
        type: 'image/jpeg',
        url: `/api/media/${name}`,
      }));
      return Response.json({ items, total: items.length, next: null });
    }
    const name = path.slice('/api/media/'.length);
    const range = /bytes=0-(\d+)/.exec(new Headers(init?.headers).get('range') ?? '');
    const size = sizes[name] ?? 0;
    const length = range ? Math.min(size, Number(range[1]) + 1) : size;
    return new Response(new Uint8Array(length), { status: range ? 206 : 200 });
  };
  return { fetch, requests };
}

describe('runSpeedTest', () => {
  it('downloads exactly the asked amount from the largest file, in ranges', async () => {
    const device = fakeDevice({ 'small.jpg': 1000, 'big.jpg': MIB });
    let clock = 0;
    const result = await runSpeedTest({
      bytes: 2.5 * MIB,
      fetch: device.fetch,
      now: () => (clock += 250),
    });
    expect(result.bytes).toBe(2.5 * MIB);
    expect(result.source).toBe('big.jpg, 3 times');
    expect(device.requests.slice(1)).toEqual([
      `/api/media/big.jpg bytes=0-${MIB - 1}`,
      `/api/media/big.jpg bytes=0-${MIB - 1}`,
      `/api/media/big.jpg bytes=0-${MIB / 2 - 1}`,
    ]);
    expect(result.seconds).toBeCloseTo(0.25);
    expect(result.mibPerSecond).toBeCloseTo(10);
  });
  it('reads on after the session is lost mid-body, keeping the bytes so far', async () => {
    const device = fakeDevice({ 'big.jpg': MIB });
    let cut = false;
    const fetch = async (path: string, init?: RequestInit) => {
      const response = await device.fetch(path, init);
      if (cut || path.startsWith('/api/media?')) return response;
      cut = true;
      // Half the file, then the session ends under the read.
      const lost = Object.assign(new Error('path lost'), { name: 'PathLostError' });
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(new Uint8Array(MIB / 2));
          else controller.error(lost);
        },
      });
      return new Response(body, { status: 206 });
    };
    const resumeAfter = (error: unknown) => (error as Error).name === 'PathLostError';
    const result = await runSpeedTest({ bytes: 2 * MIB, fetch, resumeAfter });
    expect(result.bytes).toBe(2 * MIB);
    expect(device.requests.slice(1)).toEqual([
      `/api/media/big.jpg bytes=0-${MIB - 1}`,
      `/api/media/big.jpg bytes=0-${MIB - 1}`,
      `/api/media/big.jpg bytes=0-${MIB / 2 - 1}`,
    ]);
    // Without resumeAfter the same loss fails the test.
    cut = false;
    await expect(runSpeedTest({ bytes: 2 * MIB, fetch })).rejects.toThrow('path lost');
  });

  it('explains why it cannot run on a device without media', async () => {
    await expect(runSpeedTest({ bytes: MIB, fetch: fakeDevice({}).fetch })).rejects.toThrow(
      /media folder is empty/,
    );
    const noFolder = async () => new Response('{}', { status: 404 });
    await expect(runSpeedTest({ bytes: MIB, fetch: noFolder })).rejects.toThrow(/no media folder/);
  });
});
