/**
 * Rooms and the "is this peer connected?" check, kept in Redis so every instance sees the
 * same rooms. Each instance also remembers the joins of its own peers, to write them back
 * if Redis restarts empty (instance.ts resyncs them).
 */
import { timingSafeEqual } from 'node:crypto';
import type { RoomMember } from '@peerfetch/shared';
import type { Redis } from 'ioredis';
import { tokenDigest } from '../reservations.js';
import { AddressMembersError, RoomFullError } from '../rooms.js';
import type { PeerVerifier, RoomStore } from '../shared-state.js';
import { ROOMS_KEY } from './keys.js';
import { CONNECTED_DIGEST, JOIN, LEAVE, ROOM_OF } from './lua.js';
import { asStoreError, type RunScript } from './redis-connection.js';

/** A join this instance handled for one of its own peers: [room, member JSON, address]. */
export type RememberedJoin = [string, string, string];

export interface RedisRoomStore extends RoomStore {
  /** Joins of peers connected here, by peer id. */
  readonly remembered: ReadonlyMap<string, RememberedJoin>;
  /** Forgets a local peer that went away. */
  forget(peerId: string): void;
}

export interface RedisRoomsOptions {
  maxRoomSize: number;
  maxMembersPerAddress: number;
  /** True when the peer is connected to this instance (only those joins are remembered). */
  isLocal: (peerId: string) => boolean;
  now: () => number;
}

/** Not connected anymore by the time the join ran: the route answers 401 as for a stranger. */
export class PeerGoneError extends Error {
  override readonly name = 'PeerFetchPeerGoneError';
  readonly status = 401;
  constructor() {
    super('id and token are not a peer connected to this server');
  }
}

const byJoinTime = (a: RoomMember, b: RoomMember) => a.joinedAt.localeCompare(b.joinedAt);
const parseMembers = (rows: string[]) =>
  rows.map((row) => JSON.parse(row) as RoomMember).sort(byJoinTime);

export function createRedisRoomStore(
  redis: Redis,
  run: RunScript,
  options: RedisRoomsOptions,
): RedisRoomStore {
  const remembered = new Map<string, RememberedJoin>();
  return {
    remembered,
    forget: (peerId) => remembered.delete(peerId),
    async join(roomId, { id, role, name }, addressKey) {
      const member: RoomMember = {
        id,
        role,
        name,
        joinedAt: new Date(options.now()).toISOString(),
      };
      const memberJson = JSON.stringify(member);
      const reply = (await run(JOIN, [
        roomId,
        id,
        memberJson,
        role,
        name,
        addressKey,
        options.maxRoomSize,
        options.maxMembersPerAddress,
      ])) as string[];
      const [verdict, ...rows] = reply;
      if (verdict === 'full') throw new RoomFullError(options.maxRoomSize);
      if (verdict === 'address') throw new AddressMembersError(options.maxMembersPerAddress);
      if (verdict === 'gone') throw new PeerGoneError();
      const members = parseMembers(rows);
      if (options.isLocal(id)) {
        const kept = members.find((m) => m.id === id);
        remembered.set(id, [roomId, JSON.stringify(kept ?? member), addressKey]);
      }
      return members;
    },
    async leave(peerId) {
      remembered.delete(peerId);
      return (await run(LEAVE, [peerId])) === 1;
    },
    async roomOf(peerId) {
      const [room, ...rows] = (await run(ROOM_OF, [peerId])) as string[];
      return room === undefined ? undefined : { room, members: parseMembers(rows) };
    },
    async roomCount() {
      try {
        return await redis.scard(ROOMS_KEY);
      } catch (error) {
        throw asStoreError(error);
      }
    },
  };
}

export function createRedisPeerVerifier(run: RunScript): PeerVerifier {
  return {
    async verify(id, token) {
      const digest = (await run(CONNECTED_DIGEST, [id])) as string | null;
      if (typeof digest !== 'string') return false;
      return timingSafeEqual(Buffer.from(digest, 'hex'), tokenDigest(token));
    },
  };
}
