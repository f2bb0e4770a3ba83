import type { DataChannelLike } from '../channel.js';
import { LANE_CHANNEL_ID, MAX_LANE_MESSAGE_SIZE } from '../constants.js';
import { ProtocolError } from '../errors.js';
import type { OutgoingMessage } from './outgoing.js';
import { FrameScheduler, type SchedulerOptions } from './scheduler.js';

/**
 * Messages a lane holds while its session is still in the handshake. A peer without an
 * authenticator opens at the peer's HELLO and may use the lane at once, and the lane can
 * overtake the main channel; an authenticated peer never sends on the lane that early.
 */
const MAX_HELD_LANE_MESSAGES = 256;

/**
 * The session's second channel (PROTOCOL.md §1.1): whole small messages travel on it, so an
 * answer of a few bytes does not wait behind a download's frames on the main channel. It has
 * its own writer, with the same high-water mark, so one is never blocked by the other.
 */
export class Lane {
  readonly channel: DataChannelLike;
  readonly scheduler: FrameScheduler;
  /** The highest ticket a REQUEST opened on the lane; ids increase on each channel. */
  highestPeerTicket = 0;
  /** Both HELLOs named this lane: messages may go on it. */
  #agreed = false;
  #held: unknown[] = [];
  #closed = false;

  constructor(channel: DataChannelLike, options: SchedulerOptions) {
    this.channel = channel;
    this.scheduler = new FrameScheduler(channel, options);
    channel.binaryType = 'arraybuffer';
  }

  get agreed(): boolean {
    return this.#agreed;
  }

  /**
   * The peer's HELLO named `peerLane`. Returns whether the lane is in use from now on;
   * `batchLimit` is the largest BATCH when the peer accepts them.
   */
  agree(peerLane: number | undefined, batchLimit: number | undefined): boolean {
    this.#agreed = peerLane === LANE_CHANNEL_ID;
    if (this.#agreed && batchLimit !== undefined) {
      this.scheduler.enableBatching(Math.min(batchLimit, MAX_LANE_MESSAGE_SIZE));
    }
    return this.#agreed;
  }

  /** Whether `message`, ready to send, goes on the lane: it is whole and small. */
  carries(message: OutgoingMessage): boolean {
    if (!this.#agreed || this.channel.readyState !== 'open') return false;
    const size = message.wholeFrameSize;
    return size !== undefined && size <= MAX_LANE_MESSAGE_SIZE;
  }

  /** Keeps a message that arrived before the session opened. */
  hold(data: unknown): void {
    if (this.#held.length >= MAX_HELD_LANE_MESSAGES) {
      throw new ProtocolError('unexpected-frame', 'too many lane messages before the handshake');
    }
    this.#held.push(data);
  }

  /** The held messages, in order; the lane holds nothing more. */
  takeHeld(): unknown[] {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  /** Stops writing and forgets held messages; the channel is left as it is. */
  release(): void {
    this.scheduler.close();
    this.#held = [];
  }

  /** Releases the lane and closes its channel. */
  close(): void {
    this.release();
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.channel.close();
    } catch {
      // Closing an already closed channel is fine.
    }
  }
}
