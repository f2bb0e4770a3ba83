import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPairingWindow, MAX_PAIRING_ATTEMPTS, newPairingCode } from './pairing-window.js';

afterEach(() => {
  vi.useRealTimers();
});

function window() {
  const stored: string[] = [];
  const events: string[] = [];
  const w = createPairingWindow({
    store: async (client) => {
      stored.push(client.id);
    },
    onOpen: (o) => events.push(`open ${o.code}`),
    onClose: (reason) => events.push(`close ${reason}`),
  });
  return { w, stored, events };
}

describe('pairing codes', () => {
  it('are 6 digits, keep leading zeros, and vary', () => {
    const codes = Array.from({ length: 2000 }, newPairingCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(1990);
    // About 10% of uniform codes start with 0; a formatting bug would drop them.
    expect(codes.filter((c) => c.startsWith('0')).length).toBeGreaterThan(100);
  });
});

describe('pairing window', () => {
  it('is closed until opened, and refuses attempts then', () => {
    const { w } = window();
    expect(w.current()).toBeUndefined();
    expect(w.beginAttempt('c')).toBeUndefined();
  });

  it('gives the code to 5 attempts, then closes', () => {
    const { w, events } = window();
    const opened = w.open(60_000);
    for (let i = 0; i < MAX_PAIRING_ATTEMPTS; i++)
      expect(w.beginAttempt(`c${i}`)).toBe(opened.code);
    expect(w.beginAttempt('late')).toBeUndefined();
    expect(w.current()).toBeUndefined();
    expect(events).toEqual([`open ${opened.code}`, 'close attempts used']);
  });

  it('shows the same window (code, attempts left) when opened again while open', () => {
    const { w } = window();
    const first = w.open(60_000);
    w.beginAttempt('c');
    const again = w.open(60_000);
    expect(again).toEqual({ ...first, attemptsLeft: MAX_PAIRING_ATTEMPTS - 1 });
  });

  it('closes after a successful pairing and stores the client first', async () => {
    const { w, stored, events } = window();
    w.open(60_000);
    w.beginAttempt('phone');
    await w.complete({ id: 'phone', name: 'Phone', key: new Uint8Array(32) });
    expect(stored).toEqual(['phone']);
    expect(w.current()).toBeUndefined();
    expect(events.at(-1)).toBe('close paired');
    const next = w.open(60_000); // a new window has a new code
    expect(next.attemptsLeft).toBe(MAX_PAIRING_ATTEMPTS);
  });

  it('expires', () => {
    vi.useFakeTimers();
    const { w, events } = window();
    w.open(1000);
    vi.advanceTimersByTime(999);
    expect(w.current()).toBeDefined();
    vi.advanceTimersByTime(2);
    expect(w.current()).toBeUndefined();
    expect(w.beginAttempt('c')).toBeUndefined();
    expect(events.at(-1)).toBe('close expired');
  });
});
