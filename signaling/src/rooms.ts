/**
 * Room membership, in memory. A peer is in at most one room; a room disappears with its
 * last member. Who may join which room is decided by the caller (the route derives the room
 * from the client's network); this module only keeps the books, including how many members
 * each client address has put in.
 */
import type { RoomMember, RoomRole } from '@peerfetch/shared';
import { createOpenCounter } from './address-limits.js';

/** The room is at its size limit. */
export class RoomFullError extends Error {
  override readonly name = 'PeerFetchRoomFullError';
  constructor(readonly maxRoomSize: number) {
    super(`room is full (${maxRoomSize} members)`);
  }
}

/** The client address already holds its share of room memberships. */
export class AddressMembersError extends Error {
  override readonly name = 'PeerFetchAddressMembersError';
  constructor(readonly maxMembersPerAddress: number) {
    super(`this address already has ${maxMembersPerAddress} peers in rooms`);
  }
}

export interface RoomRegistry {
  /**
   * Puts a peer in `roomId` (moving it out of any other room) on behalf of the client address
   * counted as `addressKey`, and returns the members.
   */
  join(
    roomId: string,
    member: { id: string; role: RoomRole; name: string },
    addressKey: string,
  ): RoomMember[];
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
  /** Most members one client address has in rooms at once; default no limit. */
  maxMembersPerAddress?: number;
  /** Clock for `joinedAt`; default `Date.now`. */
  now?: () => number;
}

export function createRoomRegistry(options: RoomRegistryOptions): RoomRegistry {
  const now = options.now ?? Date.now;
  const rooms = new Map<string, Map<string, RoomMember>>();
  const roomByPeer = new Map<string, string>();
  const addressByPeer = new Map<string, string>();
  const maxMembersPerAddress = options.maxMembersPerAddress ?? Number.POSITIVE_INFINITY;
  const perAddress = createOpenCounter(maxMembersPerAddress);
  let memberCount = 0;

  const list = (room: Map<string, RoomMember>) =>
    [...room.values()].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt));

  function leave(peerId: string): boolean {
    const roomId = roomByPeer.get(peerId);
    if (roomId === undefined) return false;
    roomByPeer.delete(peerId);
    const address = addressByPeer.get(peerId);
    addressByPeer.delete(peerId);
    if (address !== undefined) perAddress.release(address);
    const room = rooms.get(roomId);
    if (room?.delete(peerId)) memberCount -= 1;
    if (room?.size === 0) rooms.delete(roomId);
    return true;
  }

  return {
    join(roomId, { id, role, name }, addressKey) {
      const room = rooms.get(roomId) ?? new Map<string, RoomMember>();
      const existing = room.get(id);
      if (existing) {
        // Joining again refreshes role and name but keeps the place in the listing.
        room.set(id, { ...existing, role, name });
        return list(room);
      }
      if (room.size >= options.maxRoomSize) throw new RoomFullError(options.maxRoomSize);
      // A peer moving from another room under the same address keeps its one place.
      const ownPlace = addressByPeer.get(id) === addressKey ? 1 : 0;
      if (perAddress.count(addressKey) - ownPlace >= maxMembersPerAddress) {
        throw new AddressMembersError(maxMembersPerAddress);
      }
      leave(id);
      perAddress.acquire(addressKey);
      addressByPeer.set(id, addressKey);
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
