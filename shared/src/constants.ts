/**
 * Protocol constants and tuning defaults. Every default here is a starting point that the
 * benchmarks (`npm run bench`) measure; docs/PERFORMANCE.md#decisions records why each has
 * its value.
 */

/** Statuses whose responses never have a body (the Fetch standard's null body statuses). */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** Wire protocol versions this implementation speaks, newest last. */
export const PROTOCOL_VERSIONS: readonly number[] = [1];

/** Bytes in every frame header: type (1), flags (1), ticket id (4). */
export const FRAME_HEADER_SIZE = 6;

/** Bytes of the length prefix before each frame inside a BATCH. */
export const BATCH_ENTRY_PREFIX_SIZE = 4;

/** Bytes of the head-length prefix in REQUEST and RESPONSE payloads. */
export const HEAD_LENGTH_SIZE = 4;

/**
 * Largest frame we announce we accept and send by default. Chromium and libwebrtc accept
 * 256 KiB messages; a peer that advertises less (SDP `max-message-size`) lowers it.
 */
export const DEFAULT_MAX_FRAME_SIZE = 256 * 1024;

/** A peer whose SDP says nothing about message size is assumed to take this (RFC 8841). */
export const DEFAULT_PEER_MAX_MESSAGE_SIZE = 64 * 1024;

/** The smallest frame size we will negotiate: a head must fit in one frame. */
export const MIN_FRAME_SIZE = 16 * 1024;

/**
 * Channel high-water mark: stop sending while this much is queued in the DataChannel.
 * Far below libwebrtc's 16 MiB queue limit, and small enough that a small response queued
 * behind a large download waits only for this many bytes to drain
 * (docs/PERFORMANCE.md#why-this-frame-size-and-high-water-mark).
 */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** Resume sending once the channel's queue has drained to this. */
export const DEFAULT_LOW_WATER_MARK = 256 * 1024;

/** How often to look at `bufferedAmount` while waiting, for channels (wrtc) that never fire `bufferedamountlow`. */
export const DEFAULT_DRAIN_POLL_MS = 2;

/**
 * Per-ticket receive window: how many body bytes a peer may send before we grant more.
 * It bounds how much of one download is in flight ahead of any other response on the
 * (ordered) channel, so it sets head-of-line delay. Over wrtc on loopback, 512 KiB against
 * 1 MiB: small-GET delay during a download median p50 10 vs 14 ms and p99 34 vs 60 ms over
 * four sweeps, the same throughput within noise (docs/PERFORMANCE.md#why-this-window-size).
 * 256 KiB starves throughput. It caps one ticket at window / RTT: 10 MiB/s at 50 ms.
 */
export const DEFAULT_WINDOW = 512 * 1024;

/** Send a PING after this long without receiving anything (jittered by ±20 %). */
export const DEFAULT_PING_INTERVAL_MS = 5_000;

/** A session that receives nothing for this long is dead. */
export const DEFAULT_DEAD_AFTER_MS = 15_000;

/**
 * A side that said GOAWAY or ERROR leaves closing the channel to its peer (PROTOCOL.md §8)
 * and closes it itself only if the peer has not within this time.
 */
export const DEFAULT_CLOSE_GRACE_MS = 2_000;

/** How often a side that said goodbye looks whether its farewell has left its queue. */
export const FAREWELL_DRAIN_POLL_MS = 50;

/**
 * How long the owner of a connection waits for its channel to close before closing the
 * connection anyway: past the longest a session waits for its farewell to leave (the dead
 * interval) and its grace after that, so the two never race.
 */
export const CHANNEL_CLOSE_WAIT_MS = DEFAULT_DEAD_AFTER_MS + DEFAULT_CLOSE_GRACE_MS + 1_000;

/** How long the version handshake (and authentication, when configured) may take. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * How long a head may wait for the first bytes of a streamed body so that a small message
 * still travels as one frame. Bodies given as bytes never wait.
 */
export const DEFAULT_HEAD_COALESCE_MS = 5;

/** Largest encoded request or response head accepted by the decoder. */
export const MAX_HEAD_SIZE = 64 * 1024;

/** Most header fields one head may carry. */
export const MAX_HEADER_COUNT = 256;

/** Largest control payload (HELLO, ERROR, GOAWAY, CANCEL, AUTH). */
export const MAX_CONTROL_PAYLOAD = 8 * 1024;

/**
 * Requests one session may have in flight before more are answered 429: enough for a page
 * and its assets at once, few enough that one client cannot queue unbounded work on a device.
 */
export const DEFAULT_REQUESTS_PER_SESSION = 64;

/**
 * Where the PeerJS server is mounted under a signaling server's base URL. The signaling
 * server mounts it there, and the edge and the PWA derive their PeerJS `path` from it.
 */
export const PEERJS_PATH = '/peerjs';

/**
 * PeerJS key used when none is configured: `peerjs` is the PeerJS server's own default, so
 * a stock PeerJS server and ours accept the same clients without setup.
 */
export const DEFAULT_PEERJS_KEY = 'peerjs';

/** Where a paired client asks the edge to forget it (`DELETE`). */
export const FORGET_PAIRING_PATH = '/.well-known/peerfetch/pairing';

/** Origin given to requests handed to a server's handler; only the path comes from the wire. */
export const REQUEST_BASE_URL = 'http://peerfetch.invalid';

/**
 * Time a client allows for registering, connecting peer to peer and the handshake, in ms.
 * A device that has not answered by then is told as unreachable: a phone or a terminal
 * should not wait longer to learn that (a TURN path on a slow link opens in 2–4 s).
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
