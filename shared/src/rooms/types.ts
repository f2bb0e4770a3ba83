/**
 * The rooms API on the signaling server (JSON over HTTP), declared once for the server and
 * its clients. See signaling/README.md for the routes.
 */

/** What a room member can be: an edge device or a PWA client. */
export const ROOM_ROLES = ['edge', 'app'] as const;

export type RoomRole = (typeof ROOM_ROLES)[number];

/** Longest member name, in characters, after trimming. Long enough for "Kitchen Pi (upstairs)". */
export const ROOM_MEMBER_NAME_MAX_LENGTH = 64;

/** Longest peer id the server accepts; PeerJS ids are short (UUIDs are 36). */
export const PEER_ID_MAX_LENGTH = 64;

/** Longest peer token the server accepts; PeerJS makes ~11 characters, ours may be longer. */
export const PEER_TOKEN_MAX_LENGTH = 128;

/** A peer in a room, as the server reports it. */
export interface RoomMember {
  /** PeerJS peer id: connect to this. */
  id: string;
  role: RoomRole;
  /** Display name the member chose when joining. */
  name: string;
  /** When the member joined, ISO 8601. */
  joinedAt: string;
}

/** The caller's credentials: a peer connected to the server right now, with its token. */
export interface PeerCredentials {
  id: string;
  token: string;
}

/** Body of `POST /rooms/join`. */
export interface JoinRoomRequest extends PeerCredentials {
  role: RoomRole;
  name: string;
}

/** Answer of `POST /rooms/join` and `GET /rooms/members`. */
export interface RoomListing {
  /** Opaque room id (derived from the caller's network; reveals nothing about it). */
  room: string;
  /** Every member, the caller included, oldest first. */
  members: RoomMember[];
}

/** An ICE server as RTCConfiguration takes it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Answer of `GET /ice`. */
export interface IceServersResult {
  iceServers: IceServer[];
  /**
   * When the TURN credentials in `iceServers` expire, Unix ms; absent when there are none.
   * A peer that stays registered fetches `/ice` again before then (see keepIceServersFresh).
   */
  expiresAt?: number;
}
