import { describe, expect, it } from 'vitest';
import { addressKey, createOpenCounter, createWindowQuota } from './address-limits.js';

describe('addressKey', () => {
  it('keeps IPv4 addresses apart and groups IPv6 by /56', () => {
    expect(addressKey('198.51.100.1')).not.toBe(addressKey('198.51.100.2'));
    expect(addressKey('2001:db8:0:1::1')).toBe(addressKey('2001:db8:0:2::9'));
    expect(addressKey('2001:db8:0:100::1')).not.toBe(addressKey('2001:db8::1'));
  });
});

describe('createOpenCounter', () => {
  it('holds at most the limit per key and gives places back', () => {
    const counter = createOpenCounter(2);
    expect([counter.acquire('a'), counter.acquire('a'), counter.acquire('a')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(counter.acquire('b')).toBe(true);
    counter.release('a');
    expect(counter.count('a')).toBe(1);
    expect(counter.acquire('a')).toBe(true);
    counter.release('b');
    counter.release('b');
    expect(counter.count('b')).toBe(0);
  });
});

describe('createWindowQuota', () => {
  it('allows the limit per key per window, then resets', () => {
    let clock = 0;
    const quota = createWindowQuota({ limit: 2, windowMs: 1000, now: () => clock });
    quota.take('a');
    expect(quota.hasRoom('a')).toBe(true);
    quota.take('a');
    expect(quota.hasRoom('a')).toBe(false);
    expect(quota.hasRoom('b')).toBe(true);
    clock = 999;
    expect(quota.hasRoom('a')).toBe(false);
    clock = 1000;
    expect(quota.hasRoom('a')).toBe(true);
  });
});
