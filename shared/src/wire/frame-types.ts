/** Frame types, one byte on the wire. PROTOCOL.md is the reference for each. */
export const FrameType = {
  /** Version handshake; ticket 0; msgpack {@link Hello}. */
  Hello: 0x01,
  /** Authentication and pairing messages; ticket 0; payload opaque to the session. */
  Auth: 0x02,
  /** Fatal protocol error; ticket 0; msgpack {code, message}; the sender closes. */
  Error: 0x03,
  /** Clean close; ticket 0; msgpack {code, message}. */
  GoAway: 0x04,
  /** Liveness probe; ticket 0; 4-byte id. */
  Ping: 0x05,
  /** Answer to PING; ticket 0; the same 4-byte id. */
  Pong: 0x06,
  /** Several frames in one message, for a peer whose HELLO accepts it; ticket 0. */
  Batch: 0x07,
  /** Opens a ticket: head length (u32), msgpack request head, first body bytes. */
  Request: 0x10,
  /** Answers a ticket: head length (u32), msgpack response head, first body bytes. */
  Response: 0x11,
  /** Body bytes of a ticket's message. */
  Data: 0x12,
  /** Grants the peer more body bytes on a ticket: u32 increment. */
  Credit: 0x13,
  /** Abandons a ticket in both directions: msgpack {code, message}. */
  Cancel: 0x14,
  /**
   * Opens a WebSocket ticket (extension `websocket`, PROTOCOL.md §12): laid out as REQUEST;
   * only to a peer whose HELLO announced the extension.
   */
  WebSocket: 0x15,
} as const;

export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

export function isFrameType(value: number): value is FrameType {
  return KNOWN_TYPES.has(value);
}

/** Flag bits. Bits not defined here must be zero. */
export const FrameFlag = {
  /** Last frame of this ticket's message in this direction. */
  End: 0x01,
} as const;

export const KNOWN_FLAGS = FrameFlag.End;

/** Frame types that belong to the session (ticket 0) rather than to a ticket. */
export const SESSION_FRAME_TYPES: ReadonlySet<FrameType> = new Set([
  FrameType.Hello,
  FrameType.Auth,
  FrameType.Error,
  FrameType.GoAway,
  FrameType.Ping,
  FrameType.Pong,
  FrameType.Batch,
]);
