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
  it('explains why it cannot run on a device without media', async () => {
    await expect(runSpeedTest({ bytes: MIB, fetch: fakeDevice({}).fetch })).rejects.toThrow(
      /media folder is empty/,
    );
    const noFolder = async () => new Response('{}', { status: 404 });
    await expect(runSpeedTest({ bytes: MIB, fetch: noFolder })).rejects.toThrow(/no media folder/);
  });
});
