import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const none = () => 0; // takes nothing off
  const most = () => 0.999999; // takes off almost all the jitter allows

  it('doubles from the initial delay up to the cap (defaults 1 s and 15 s)', () => {
    const delays = [0, 1, 2, 3, 4, 5, 40].map((n) => backoffDelayMs(n, { random: none }));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('takes off at most `jitter` of the delay, 20 % by default, and never adds', () => {
    expect(backoffDelayMs(1, { random: most })).toBe(1600);
    expect(backoffDelayMs(1, { random: none })).toBe(2000);
    expect(backoffDelayMs(9, { random: none })).toBe(15000);
    const half = { initialMs: 100, maxMs: 1000, jitter: 0.5 };
    expect([0, 1, 4].map((n) => backoffDelayMs(n, { ...half, random: most }))).toEqual([
      50, 100, 500,
    ]);
  });

  it('honours custom bounds, and treats a negative retry as the first', () => {
    expect(backoffDelayMs(0, { initialMs: 40, maxMs: 120, jitter: 0 })).toBe(40);
    expect(backoffDelayMs(4, { initialMs: 40, maxMs: 120, jitter: 0 })).toBe(120);
    expect(backoffDelayMs(-1, { initialMs: 40, jitter: 0 })).toBe(40);
  });

  it('stays within its bounds for any randomness', () => {
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelayMs(i % 8, { initialMs: 500, maxMs: 5000, jitter: 0.5 });
      const base = Math.min(5000, 500 * 2 ** (i % 8));
      expect(delay).toBeGreaterThanOrEqual(base / 2);
      expect(delay).toBeLessThanOrEqual(base);
    }
  });
});
