import { describe, expect, it } from 'vitest';
import { createReservationBook } from './reservations.js';

const HOUR = 3_600_000;

function book(options: { ttlMs?: number; maxReservations?: number } = {}) {
  let clock = 0;
  const events = { evicted: 0, expired: 0 };
  const reservations = createReservationBook({
    ttlMs: options.ttlMs ?? 24 * HOUR,
    maxReservations: options.maxReservations ?? 100,
    now: () => clock,
    onEvicted: () => {
      events.evicted += 1;
    },
    onExpired: () => {
      events.expired += 1;
    },
  });
  return { reservations, events, advance: (ms: number) => (clock += ms) };
}

describe('createReservationBook', () => {
  it('reserves an id for the token that first connected it, while connected and after', () => {
    const { reservations } = book();
    expect(reservations.check('a', 't1')).toBe('free');
    expect(reservations.connected('a', 't1')).toBe('created');
    expect(reservations.check('a', 't1')).toBe('owner');
    expect(reservations.check('a', 't2')).toBe('taken');
    expect(reservations.check('a', 't1 ')).toBe('taken');
    reservations.disconnected('a');
    expect(reservations.check('a', 't2')).toBe('taken');
    expect(reservations.connected('a', 't2')).toBe('conflict');
    expect(reservations.connected('a', 't1')).toBe('renewed');
    expect(reservations.size).toBe(1);
  });

  it('frees an id once it has been unseen for the TTL, counting from its last disconnect', () => {
    const { reservations, events, advance } = book({ ttlMs: 7 * 24 * HOUR });
    reservations.connected('a', 't1');
    // Connected time does not age a reservation.
    advance(30 * 24 * HOUR);
    expect(reservations.check('a', 't2')).toBe('taken');
    reservations.disconnected('a');
    advance(7 * 24 * HOUR - 1);
    expect(reservations.check('a', 't2')).toBe('taken');
    advance(1);
    expect(reservations.check('a', 't2')).toBe('free');
    expect(events.expired).toBe(1);
    expect(reservations.size).toBe(0);
    expect(reservations.connected('a', 't2')).toBe('created');
  });

  it('evicts the reservation unseen for longest, never a connected one', () => {
    const { reservations, events, advance } = book({ maxReservations: 3 });
    reservations.connected('live', 't');
    for (const id of ['old', 'newer']) {
      reservations.connected(id, 't');
      advance(1000);
      reservations.disconnected(id);
    }
    // Seen again later: no longer the oldest.
    reservations.connected('old', 't');
    advance(1000);
    reservations.disconnected('old');
    expect(reservations.connected('x', 't')).toBe('created');
    expect(events.evicted).toBe(1);
    expect(reservations.check('newer', 'other')).toBe('free');
    expect(reservations.check('old', 'other')).toBe('taken');
    expect(reservations.check('live', 'other')).toBe('taken');
    expect(reservations.size).toBe(3);
  });

  it('never evicts connected ids, even past the cap', () => {
    const { reservations, events } = book({ maxReservations: 2 });
    for (const id of ['a', 'b', 'c']) expect(reservations.connected(id, 't')).toBe('created');
    expect(events.evicted).toBe(0);
    expect(reservations.check('a', 'other')).toBe('taken');
    expect(reservations.size).toBe(3);
  });

  it('ignores a disconnect of an id it does not hold as connected', () => {
    const { reservations } = book();
    reservations.disconnected('nobody');
    expect(reservations.size).toBe(0);
  });
});
