import { describe, expect, it } from 'vitest';
import { InvalidAddressError, networkKey, roomIdFor } from './network-key.js';

describe('networkKey', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(networkKey('203.0.113.7')).toBe('203.0.113.7');
    expect(networkKey('203.0.113.7')).not.toBe(networkKey('203.0.113.8'));
  });

  it('groups an IPv4-mapped IPv6 address with its IPv4', () => {
    expect(networkKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(networkKey('::ffff:cb00:7107')).toBe('203.0.113.7');
    expect(networkKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('groups IPv6 by the /64 of the expanded address, whatever the notation', () => {
    const key = '2001:0db8:0000:0000::/64';
    expect(networkKey('2001:db8::1')).toBe(key);
    expect(networkKey('2001:DB8:0:0:abcd::2')).toBe(key);
    expect(networkKey('2001:0db8:0000:0000:ffff:ffff:ffff:ffff')).toBe(key);
    expect(networkKey('2001:db8::1%eth0')).toBe(key);
  });

  it('separates other /64s, including ones a naive string prefix would merge', () => {
    expect(networkKey('2001:db8:0:1::1')).toBe('2001:0db8:0000:0001::/64');
    // "2001:db8::1:0:0:1" compresses the /64 part; first four groups are 2001:db8:0:0
    expect(networkKey('2001:db8::1:0:0:1')).toBe('2001:0db8:0000:0000::/64');
    expect(networkKey('2001:db8:1::1')).not.toBe(networkKey('2001:db8::1'));
  });

  it('rejects what is not an address', () => {
    for (const bad of [
      '',
      'example.org',
      '1.2.3',
      '0x7f.1',
      '256.1.1.1',
      '2001:db8:::1',
      'unknown',
    ]) {
      expect(() => networkKey(bad)).toThrow(InvalidAddressError);
    }
  });
});

describe('roomIdFor', () => {
  it('is a keyed, stable, url-safe hash', () => {
    const a = roomIdFor('secret-one-0123456789abcdef0123456789', '203.0.113.7');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(roomIdFor('secret-one-0123456789abcdef0123456789', '203.0.113.7')).toBe(a);
    expect(roomIdFor('secret-two-0123456789abcdef0123456789', '203.0.113.7')).not.toBe(a);
    expect(roomIdFor('secret-one-0123456789abcdef0123456789', '203.0.113.8')).not.toBe(a);
  });
});
