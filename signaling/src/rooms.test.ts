import { describe, expect, it } from 'vitest';
import { createRoomRegistry, RoomFullError } from './rooms.js';

function registry(maxRoomSize = 3) {
  let clock = Date.UTC(2026, 0, 1);
  return createRoomRegistry({ maxRoomSize, now: () => (clock += 1000) });
}

describe('createRoomRegistry', () => {
  it('lists members oldest first, the caller included', () => {
    const rooms = registry();
    rooms.join('r', { id: 'a', role: 'edge', name: 'Pi' });
    const members = rooms.join('r', { id: 'b', role: 'app', name: 'Phone' });
    expect(members.map((m) => m.id)).toEqual(['a', 'b']);
    expect(members[0]).toMatchObject({
      role: 'edge',
      name: 'Pi',
      joinedAt: '2026-01-01T00:00:01.000Z',
    });
    expect(rooms.roomOf('b')).toEqual({ room: 'r', members });
    expect(rooms.roomCount).toBe(1);
    expect(rooms.memberCount).toBe(2);
  });

  it('keeps rooms apart', () => {
    const rooms = registry();
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' });
    rooms.join('r2', { id: 'b', role: 'app', name: 'B' });
    expect(rooms.roomOf('a')?.members.map((m) => m.id)).toEqual(['a']);
    expect(rooms.roomOf('b')?.members.map((m) => m.id)).toEqual(['b']);
    expect(rooms.roomCount).toBe(2);
  });

  it('refuses a member beyond the size limit, but lets a member join again', () => {
    const rooms = registry(2);
    rooms.join('r', { id: 'a', role: 'edge', name: 'A' });
    rooms.join('r', { id: 'b', role: 'app', name: 'B' });
    expect(() => rooms.join('r', { id: 'c', role: 'app', name: 'C' })).toThrow(RoomFullError);
    expect(rooms.roomOf('c')).toBeUndefined();
    const again = rooms.join('r', { id: 'a', role: 'edge', name: 'A renamed' });
    expect(again.map((m) => [m.id, m.name])).toEqual([
      ['a', 'A renamed'],
      ['b', 'B'],
    ]);
    expect(rooms.memberCount).toBe(2);
  });

  it('moves a peer that joins another room, and drops empty rooms', () => {
    const rooms = registry();
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' });
    rooms.join('r2', { id: 'a', role: 'edge', name: 'A' });
    expect(rooms.roomOf('a')?.room).toBe('r2');
    expect(rooms.roomCount).toBe(1);
    expect(rooms.memberCount).toBe(1);
  });

  it('a full target room leaves the peer where it was', () => {
    const rooms = registry(2);
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' });
    rooms.join('r2', { id: 'b', role: 'app', name: 'B' });
    rooms.join('r2', { id: 'c', role: 'app', name: 'C' });
    expect(() => rooms.join('r2', { id: 'a', role: 'edge', name: 'A' })).toThrow(RoomFullError);
    expect(rooms.roomOf('a')?.room).toBe('r1');
  });

  it('leave removes the member and reports whether it was in a room', () => {
    const rooms = registry();
    rooms.join('r', { id: 'a', role: 'edge', name: 'A' });
    rooms.join('r', { id: 'b', role: 'app', name: 'B' });
    expect(rooms.leave('a')).toBe(true);
    expect(rooms.leave('a')).toBe(false);
    expect(rooms.roomOf('b')?.members.map((m) => m.id)).toEqual(['b']);
    expect(rooms.leave('b')).toBe(true);
    expect(rooms.roomCount).toBe(0);
    expect(rooms.memberCount).toBe(0);
  });
});
