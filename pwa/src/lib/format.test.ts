import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatWhen } from './format';

describe('format', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(32 * 1024 ** 3)).toBe('32.0 GiB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10.0 MiB');
    expect(formatBytes(-1)).toBe('—');
  });
  it('formats durations coarsely', () => {
    expect(formatDuration(0)).toBe('0 sec');
    expect(formatDuration(42)).toBe('42 sec');
    expect(formatDuration(3 * 60 + 40)).toBe('3 min');
    expect(formatDuration(5 * 3600 + 12 * 60)).toBe('5 hr 12 min');
    expect(formatDuration(2 * 3600 + 30)).toBe('2 hr');
    expect(formatDuration(90_061)).toBe('1 day 1 hr');
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe('3 days 4 hr');
  });
  it('says how long ago, then the date', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(formatWhen('2026-11-21T11:59:55Z', now)).toBe('just now');
    expect(formatWhen('2026-11-21T12:00:00.900Z', now)).toBe('just now');
    expect(formatWhen('2026-11-21T11:59:30Z', now)).toBe('30 s ago');
    expect(formatWhen('2026-11-21T11:15:00Z', now)).toBe('45 min ago');
    expect(formatWhen('2026-11-21T02:00:00Z', now)).toBe('10 h ago');
    expect(formatWhen('2026-10-01T00:00:00Z', now)).toMatch(/2026/);
    expect(formatWhen('not a date', now)).toBe('');
  });
});
