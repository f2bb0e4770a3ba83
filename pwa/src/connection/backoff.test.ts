import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const mid = () => 0.5; // no jitter
  it('doubles from the initial delay up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, {}, mid));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
  });
  it('jitters within ±20 % and never exceeds the cap', () => {
    expect(backoffDelayMs(2, {}, () => 0)).toBe(1600);
    expect(backoffDelayMs(2, {}, () => 0.999999)).toBe(2400);
    expect(backoffDelayMs(10, {}, () => 0.999999)).toBe(15000);
  });
  it('honours custom bounds', () => {
    expect(backoffDelayMs(1, { initialMs: 40, maxMs: 120, jitter: 0 })).toBe(40);
    expect(backoffDelayMs(5, { initialMs: 40, maxMs: 120, jitter: 0 })).toBe(120);
  });
});
