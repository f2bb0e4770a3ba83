/**
 * What the HTTP routes need from the server's state, as promises so one interface fits both
 * homes of that state: this process's memory (the default) or Redis shared by several
 * instances (cluster/). The in-memory adapters here wrap the synchronous books unchanged.
 */
import type { RoomMember, RoomRole } from '@peerfetch/shared';
import type { PeerDirectory } from './peers.js';
import type { RoomRegistry } from './rooms.js';

/** The shared store (Redis) cannot be reached: the request is refused, never guessed at. */
export class SharedStateUnavailableError extends Error {
  override readonly name = 'PeerFetchSharedStateUnavailableError';
  /** HTTP status the error handler answers with. */
  readonly status = 503;
  constructor(cause?: unknown) {
    super('the signaling server cannot reach its shared store (Redis); retry shortly', { cause });
  }
}

export interface RoomStore {
  /** As {@link RoomRegistry.join}; throws RoomFullError or AddressMembersError. */
  join(
    roomId: string,
    member: { id: string; role: RoomRole; name: string },
    addressKey: string,
  ): Promise<RoomMember[]>;
  leave(peerId: string): Promise<boolean>;
  roomOf(peerId: string): Promise<{ room: string; members: RoomMember[] } | undefined>;
  /** Rooms with at least one member, everywhere this store is shared. */
  roomCount(): Promise<number>;
}

export interface PeerVerifier {
  /** True when `id` is connected right now (to any instance) and `token` is its token. */
  verify(id: string, token: string): Promise<boolean>;
}

export function memoryRoomStore(registry: RoomRegistry): RoomStore {
  return {
    join: async (roomId, member, addressKey) => registry.join(roomId, member, addressKey),
    leave: async (peerId) => registry.leave(peerId),
    roomOf: async (peerId) => registry.roomOf(peerId),
    roomCount: async () => registry.roomCount,
  };
}

export function memoryPeerVerifier(peers: PeerDirectory): PeerVerifier {
  return { verify: async (id, token) => peers.verify(id, token) };
}
