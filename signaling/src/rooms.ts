/**
 * Room membership, in memory. A peer is in at most one room; a room disappears with its
 * last member. Who may join which room is decided by the caller (the route derives the room
 * from the client's network); this module only keeps the books.
 */
import type { RoomMember, RoomRole } from '@peerfetch/shared';

/** The room is at its size limit. */
export class RoomFullError extends Error {
  override readonly name = 'PeerFetchRoomFullError';
  constructor(readonly maxRoomSize: number) {
    super(`room is full (${maxRoomSize} members)`);
  }
}

export interface RoomRegistry {
  /** Puts `peerId` in `roomId` (moving it out of any other room) and returns the members. */
  join(roomId: string, member: { id: string; role: RoomRole; name: string }): RoomMember[];
  /** Removes `peerId` from its room; false when it was in none. */
  leave(peerId: string): boolean;
  /** The room `peerId` is in, with its members; undefined when it is in none. */
  roomOf(peerId: string): { room: string; members: RoomMember[] } | undefined;
  readonly roomCount: number;
  readonly memberCount: number;
}

export interface RoomRegistryOptions {
  /** Most members a room holds. */
  maxRoomSize: number;
  /** Clock for `joinedAt`; default `Date.now`. */
  now?: () => number;
}

export function createRoomRegistry(options: RoomRegistryOptions): RoomRegistry {
  const now = options.now ?? Date.now;
  const rooms = new Map<string, Map<string, RoomMember>>();
  const roomByPeer = new Map<string, string>();
  let memberCount = 0;

  const list = (room: Map<string, RoomMember>) =>
    [...room.values()].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt));

  function leave(peerId: string): boolean {
    const roomId = roomByPeer.get(peerId);
    if (roomId === undefined) return false;
    roomByPeer.delete(peerId);
    const room = rooms.get(roomId);
    if (room?.delete(peerId)) memberCount -= 1;
    if (room?.size === 0) rooms.delete(roomId);
    return true;
  }

  return {
    join(roomId, { id, role, name }) {
      const room = rooms.get(roomId) ?? new Map<string, RoomMember>();
      const existing = room.get(id);
      if (existing) {
        // Joining again refreshes role and name but keeps the place in the listing.
        room.set(id, { ...existing, role, name });
        return list(room);
      }
      if (room.size >= options.maxRoomSize) throw new RoomFullError(options.maxRoomSize);
      leave(id);
      room.set(id, { id, role, name, joinedAt: new Date(now()).toISOString() });
      rooms.set(roomId, room);
      roomByPeer.set(id, roomId);
      memberCount += 1;
      return list(room);
    },
    leave,
    roomOf(peerId) {
      const roomId = roomByPeer.get(peerId);
      const room = roomId === undefined ? undefined : rooms.get(roomId);
      return roomId === undefined || !room ? undefined : { room: roomId, members: list(room) };
    },
    get roomCount() {
      return rooms.size;
    },
    get memberCount() {
      return memberCount;
    },
  };
}
