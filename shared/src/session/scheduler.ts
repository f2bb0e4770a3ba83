import type { DataChannelLike } from '../channel.js';
import { MessagePacker } from './batcher.js';
import { nextTurn } from './next-turn.js';
import type { OutgoingMessage } from './outgoing.js';

export interface SchedulerOptions {
  highWaterMark: number;
  lowWaterMark: number;
  drainPollMs: number;
  /** A send that throws (the channel failed under us) ends the session. */
  onSendError(error: unknown): void;
}

/**
 * The one writer of a channel. Control frames go ahead of queued body frames; message
 * frames take turns, one frame per ready ticket per round, so a small response is never
 * stuck behind a large download. While the channel holds more than the high-water mark,
 * sending waits, watching both the `bufferedamountlow` event and a timer (@roamhq/wrtc
 * never fires the event).
 *
 * Once the peer accepts BATCH, frames are packed (MessagePacker) and leave at the end of
 * the event-loop turn that produced them, several to a message.
 */
export class FrameScheduler {
  readonly #channel: DataChannelLike;
  readonly #o: SchedulerOptions;
  readonly #ring: OutgoingMessage[] = [];
  readonly #inRing = new Set<OutgoingMessage>();
  /**
   * Every frame is encoded into the packer's one reused buffer, since channels copy what
   * `send` is given (the WebRTC spec; @roamhq/wrtc and the in-memory channel too). A
   * download then leaves no 256 KiB garbage buffer per frame for V8 to collect lazily,
   * which kept the edge's RSS high (docs/PERFORMANCE.md#why-reused-buffers).
   */
  readonly #packer: MessagePacker;
  readonly #bufferFor = (size: number): Uint8Array<ArrayBuffer> => this.#packer.place(size);
  #running = false;
  #flushQueued = false;
  /**
   * Reading `bufferedAmount` is a blocking cross-thread call in @roamhq/wrtc, so it is read
   * only when it could matter: the queue can be no larger than the last reading plus what
   * was sent since, because it only shrinks on its own.
   */
  #lastBufferedAmount = 0;
  #sentSinceRead = 0;
  #closed = false;
  #wakeDrain: (() => void) | undefined;

  constructor(channel: DataChannelLike, options: SchedulerOptions) {
    this.#channel = channel;
    this.#o = options;
    this.#packer = new MessagePacker((message) => {
      this.#channel.send(message);
      this.#sentSinceRead += message.byteLength;
    });
  }

  /** From now on, packs frames into messages of at most `limit` bytes (the peer said BATCH). */
  enableBatching(limit: number): void {
    this.#packer.enable(limit);
  }

  /**
   * Sends a small control frame now, ahead of queued body frames. While frames are packed
   * and waiting it joins them instead, behind them: a CANCEL after a response's END must
   * not overtake it. Not deferred otherwise: a CREDIT that waits for the end of the turn
   * (in a browser, behind every message event already queued) slows the sender's credit
   * loop (Chromium downloads 0.77–0.85 × raw that way, against 0.89–0.97 × without).
   */
  sendNow(frame: Uint8Array<ArrayBuffer>): void {
    if (this.#closed || this.#channel.readyState !== 'open') return;
    const joinsPacked = this.#packer.pendingBytes > 0;
    try {
      this.#packer.add(frame);
      if (!joinsPacked) this.#packer.sendPending();
    } catch (error) {
      this.#o.onSendError(error);
    }
  }

  /** Puts a message in the round when it has something to send. */
  schedule(message: OutgoingMessage): void {
    if (this.#closed || this.#inRing.has(message) || !message.isReady) return;
    this.#inRing.add(message);
    this.#ring.push(message);
    if (this.#packer.batching) this.#flushAtEndOfTurn();
    else if (!this.#running) void this.#run();
  }

  /**
   * Sends a farewell frame now, behind what is packed and what ready messages can send
   * without waiting for the channel to drain. Errors are ignored: the peer then learns of
   * the close from the channel closing.
   */
  sendLast(frame: Uint8Array<ArrayBuffer>): void {
    if (this.#closed) return;
    try {
      if (!this.#running) this.#packWhileRoom();
      this.#packer.add(frame);
      this.#packer.sendPending();
    } catch {
      // See above.
    }
  }

  close(): void {
    this.#closed = true;
    this.#packer.clear();
    this.#ring.length = 0;
    this.#inRing.clear();
    this.#wakeDrain?.();
  }

  #flushAtEndOfTurn(): void {
    if (!this.#packer.batching || this.#flushQueued) return;
    this.#flushQueued = true;
    nextTurn(this.#endOfTurn);
  }

  readonly #endOfTurn = (): void => {
    this.#flushQueued = false;
    if (this.#closed) return;
    // A run waiting for the channel to drain leaves the control frames to this flush.
    if (!this.#running && this.#ring.length > 0) {
      void this.#run();
      return;
    }
    try {
      this.#packer.sendPending();
    } catch (error) {
      this.#o.onSendError(error);
    }
  };

  async #run(): Promise<void> {
    this.#running = true;
    try {
      for (;;) {
        this.#packWhileRoom();
        if (this.#closed || this.#ring.length === 0) break;
        // Above the high-water mark: what is packed goes, then wait for the channel.
        this.#packer.sendPending();
        await this.#drain();
      }
      if (!this.#closed) this.#packer.sendPending();
    } catch (error) {
      this.#o.onSendError(error);
    } finally {
      this.#running = false;
    }
  }

  /** Packs frames round the ring until it is empty or the channel is above its high-water mark. */
  #packWhileRoom(): void {
    while (!this.#closed && this.#ring.length > 0 && !this.#aboveHighWater()) this.#packNext();
  }

  /** Packs the next frame of the next ready message in the round. */
  #packNext(): void {
    const message = this.#ring.shift()!;
    this.#inRing.delete(message);
    if (!message.isReady) return;
    const frame = message.nextFrame(this.#bufferFor);
    this.#packer.commit(frame.byteLength);
    // Anything sent after this (a CANCEL on END) goes out after the frame.
    message.afterSend();
    if (message.isReady) {
      this.#inRing.add(message);
      this.#ring.push(message);
    }
  }

  #aboveHighWater(): boolean {
    return this.#mayBeAboveHighWater() && this.#readBufferedAmount() > this.#o.highWaterMark;
  }

  #mayBeAboveHighWater(): boolean {
    const queued = this.#lastBufferedAmount + this.#sentSinceRead + this.#packer.pendingBytes;
    return queued > this.#o.highWaterMark;
  }

  #readBufferedAmount(): number {
    this.#lastBufferedAmount = this.#channel.bufferedAmount;
    this.#sentSinceRead = 0;
    return this.#lastBufferedAmount;
  }

  #drain(): Promise<void> {
    const channel = this.#channel;
    return new Promise((resolve) => {
      const check = () => {
        if (this.#closed) return done();
        const amount = channel.bufferedAmount;
        if (amount > this.#o.lowWaterMark) return;
        // This reading serves the high-water check too (each is a blocking call on wrtc).
        this.#lastBufferedAmount = amount;
        this.#sentSinceRead = 0;
        done();
      };
      const done = () => {
        clearInterval(timer);
        channel.removeEventListener('bufferedamountlow', check);
        this.#wakeDrain = undefined;
        resolve();
      };
      channel.bufferedAmountLowThreshold = this.#o.lowWaterMark;
      channel.addEventListener('bufferedamountlow', check);
      const timer = setInterval(check, this.#o.drainPollMs);
      this.#wakeDrain = done;
    });
  }
}
