/**
 * The rule for putting a PeerFetch session on a PeerJS DataConnection here: make the session
 * inside the connection's 'open' event itself, on a channel held since it was made.
 *
 * @roamhq/wrtc dispatches its events through process.nextTick, so the peer's first message
 * (the edge's or the client's HELLO) can be queued right behind 'open': a session made in a
 * promise continuation after 'open' would run too late to see it. The held channel
 * (held-channel.ts) keeps what arrives before the session exists, even before 'open'.
 */
import { type HeldChannel, holdMessages } from './held-channel.js';
import type { DataConnection, Peer } from './index.js';

/** The part of a DataConnection that {@link onOpen} uses. */
export interface Openable {
  readonly open: boolean;
  on(event: 'open', listener: () => void): unknown;
}

/** Runs `setup` inside the connection's 'open' event (at once when it is already open). */
export function onOpen(connection: Openable, setup: () => void): void {
  if (connection.open) setup();
  else connection.on('open', setup);
}

/** An outgoing connection whose session is made when it opens (see {@link dialSession}). */
export interface DialedSession<S> {
  connection: DataConnection;
  /** Its channel, held until the session is made; close with closeWhenSettled(connection, held). */
  held: HeldChannel;
  /**
   * What `open` returned, made inside the 'open' event, the held messages then released to it.
   * Rejects with what `open` threw; stays pending while the connection does not open.
   */
  session: Promise<S>;
}

/**
 * Dials `peerId` over a reliable, ordered, raw DataConnection and makes its session with
 * `open` inside the 'open' event, on the connection's held channel. The caller adds its own
 * timeout and error handling (the connection's and the peer's 'error' events).
 */
export function dialSession<S>(
  peer: Peer,
  peerId: string,
  open: (channel: HeldChannel, peerConnection: DataConnection['peerConnection']) => S,
): DialedSession<S> {
  const connection = peer.connect(peerId, { reliable: true, serialization: 'raw' });
  // PeerJS makes the caller's channel inside connect(): hold its messages from now on.
  const held = holdMessages(connection.dataChannel, connection.peerConnection);
  const session = new Promise<S>((resolve, reject) => {
    onOpen(connection, () => {
      try {
        resolve(open(held, connection.peerConnection));
      } catch (error) {
        reject(error);
      } finally {
        held.release();
      }
    });
  });
  return { connection, held, session };
}
