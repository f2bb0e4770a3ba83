import { describe, expect, it } from 'vitest';
import { AddressMembersError, createRoomRegistry, RoomFullError } from './rooms.js';

function registry(maxRoomSize = 3, maxMembersPerAddress?: number) {
  let clock = Date.UTC(2026, 0, 1);
  return createRoomRegistry({ maxRoomSize, maxMembersPerAddress, now: () => (clock += 1000) });
}

describe('createRoomRegistry', () => {
  it('lists members oldest first, the caller included', () => {
    const rooms = registry();
    rooms.join('r', { id: 'a', role: 'edge', name: 'Pi' }, 'address-1');
    const members = rooms.join('r', { id: 'b', role: 'app', name: 'Phone' }, 'address-1');
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
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    rooms.join('r2', { id: 'b', role: 'app', name: 'B' }, 'address-1');
    expect(rooms.roomOf('a')?.members.map((m) => m.id)).toEqual(['a']);
    expect(rooms.roomOf('b')?.members.map((m) => m.id)).toEqual(['b']);
    expect(rooms.roomCount).toBe(2);
  });

  it('refuses a member beyond the size limit, but lets a member join again', () => {
    const rooms = registry(2);
    rooms.join('r', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    rooms.join('r', { id: 'b', role: 'app', name: 'B' }, 'address-1');
    expect(() => rooms.join('r', { id: 'c', role: 'app', name: 'C' }, 'address-1')).toThrow(
      RoomFullError,
    );
    expect(rooms.roomOf('c')).toBeUndefined();
    const again = rooms.join('r', { id: 'a', role: 'edge', name: 'A renamed' }, 'address-1');
    expect(again.map((m) => [m.id, m.name])).toEqual([
      ['a', 'A renamed'],
      ['b', 'B'],
    ]);
    expect(rooms.memberCount).toBe(2);
  });

  it('moves a peer that joins another room, and drops empty rooms', () => {
    const rooms = registry();
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    rooms.join('r2', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    expect(rooms.roomOf('a')?.room).toBe('r2');
    expect(rooms.roomCount).toBe(1);
    expect(rooms.memberCount).toBe(1);
  });

  it('a full target room leaves the peer where it was', () => {
    const rooms = registry(2);
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    rooms.join('r2', { id: 'b', role: 'app', name: 'B' }, 'address-1');
    rooms.join('r2', { id: 'c', role: 'app', name: 'C' }, 'address-1');
    expect(() => rooms.join('r2', { id: 'a', role: 'edge', name: 'A' }, 'address-1')).toThrow(
      RoomFullError,
    );
    expect(rooms.roomOf('a')?.room).toBe('r1');
  });

  it('leave removes the member and reports whether it was in a room', () => {
    const rooms = registry();
    rooms.join('r', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    rooms.join('r', { id: 'b', role: 'app', name: 'B' }, 'address-1');
    expect(rooms.leave('a')).toBe(true);
    expect(rooms.leave('a')).toBe(false);
    expect(rooms.roomOf('b')?.members.map((m) => m.id)).toEqual(['b']);
    expect(rooms.leave('b')).toBe(true);
    expect(rooms.roomCount).toBe(0);
    expect(rooms.memberCount).toBe(0);
  });

  it('caps the members one address puts in rooms, and frees a place when one leaves', () => {
    const rooms = registry(10, 2);
    const member = (id: string) => ({ id, role: 'app' as const, name: id });
    rooms.join('r', member('a'), 'address-1');
    rooms.join('r', member('b'), 'address-1');
    expect(() => rooms.join('r', member('c'), 'address-1')).toThrow(AddressMembersError);
    expect(rooms.roomOf('c')).toBeUndefined();
    // Another address is not affected, and joining again is not a new member.
    expect(rooms.join('r', member('d'), 'address-2').map((m) => m.id)).toEqual(['a', 'b', 'd']);
    expect(rooms.join('r', member('a'), 'address-1')).toHaveLength(3);
    rooms.leave('b');
    expect(rooms.join('r', member('c'), 'address-1').map((m) => m.id)).toEqual(['a', 'd', 'c']);
  });

  it('lets a member move rooms under its address without counting twice', () => {
    const rooms = registry(10, 1);
    rooms.join('r1', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    rooms.join('r2', { id: 'a', role: 'edge', name: 'A' }, 'address-1');
    expect(rooms.roomOf('a')?.room).toBe('r2');
    expect(() => rooms.join('r1', { id: 'b', role: 'app', name: 'B' }, 'address-1')).toThrow(
      AddressMembersError,
    );
    // Moving to another address's count frees the first one.
    rooms.join('r3', { id: 'a', role: 'edge', name: 'A' }, 'address-2');
    expect(rooms.join('r1', { id: 'b', role: 'app', name: 'B' }, 'address-1')).toHaveLength(1);
  });
});
