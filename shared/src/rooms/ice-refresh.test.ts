import { afterEach, describe, expect, it, vi } from 'vitest';
import { ICE_RETRY_MS, iceRefreshDelayMs, keepIceServersFresh } from './ice-refresh.js';
import type { IceServer, IceServersResult } from './types.js';

const turn = (n: number): IceServer => ({ urls: 'turn:t', username: `u${n}`, credential: 'c' });

afterEach(() => vi.useRealTimers());

describe('iceRefreshDelayMs', () => {
  it('is half the remaining lifetime, never under 5 s', () => {
    expect(iceRefreshDelayMs(60_000, 0)).toBe(30_000);
    expect(iceRefreshDelayMs(4_000, 0)).toBe(5_000);
    expect(iceRefreshDelayMs(0, 10_000)).toBe(5_000);
  });
});

describe('keepIceServersFresh', () => {
  it('fetches again halfway to expiry and applies the new servers', async () => {
    vi.useFakeTimers({ now: 0 });
    let n = 0;
    const fetch = vi.fn(
      async (): Promise<IceServersResult> => ({
        iceServers: [turn(++n)],
        expiresAt: Date.now() + 60_000,
      }),
    );
    const applied: IceServer[][] = [];
    const refresh = keepIceServersFresh({ fetch, apply: (s) => applied.push(s) });
    expect(await refresh.ready).toEqual([turn(1)]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(applied).toEqual([[turn(1)], [turn(2)]]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(applied.at(-1)).toEqual([turn(3)]);
    refresh.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('keeps the current servers through a failed fetch and tries again before they expire', async () => {
    vi.useFakeTimers({ now: 0 });
    const answers: Array<() => IceServersResult> = [
      () => ({ iceServers: [turn(1)], expiresAt: Date.now() + 40_000 }),
      () => {
        throw new Error('signaling unreachable');
      },
      () => ({ iceServers: [turn(2)], expiresAt: Date.now() + 40_000 }),
    ];
    const applied: IceServer[][] = [];
    const errors: number[] = [];
    const refresh = keepIceServersFresh({
      fetch: async () => answers.shift()!(),
      apply: (s) => applied.push(s),
      onError: (_error, retryInMs) => errors.push(retryInMs),
    });
    await refresh.ready;
    await vi.advanceTimersByTimeAsync(20_000); // the failed fetch, 20 s before expiry
    expect(errors).toEqual([10_000]);
    expect(applied).toEqual([[turn(1)]]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(applied).toEqual([[turn(1)], [turn(2)]]);
    refresh.stop();
  });

  it('answers [] when the first fetch fails, and retries', async () => {
    vi.useFakeTimers({ now: 0 });
    const fetch = vi
      .fn<() => Promise<IceServersResult>>()
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValue({ iceServers: [turn(1)] });
    const applied: IceServer[][] = [];
    const refresh = keepIceServersFresh({ fetch, apply: (s) => applied.push(s) });
    expect(await refresh.ready).toEqual([]);
    await vi.advanceTimersByTimeAsync(ICE_RETRY_MS);
    expect(applied).toEqual([[turn(1)]]);
    // No expiry (no TURN): nothing more to refresh.
    await vi.advanceTimersByTimeAsync(10 * ICE_RETRY_MS);
    expect(fetch).toHaveBeenCalledTimes(2);
    refresh.stop();
  });
});
