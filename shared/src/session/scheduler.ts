import type { DataChannelLike } from '../channel.js';
import type { OutgoingMessage } from './outgoing.js';

export interface SchedulerOptions {
  highWaterMark: number;
  lowWaterMark: number;
  drainPollMs: number;
  /** A send that throws (the channel failed under us) ends the session. */
  onSendError(error: unknown): void;
}

/**
 * The one writer of a channel. Control frames go out at once; message frames take turns,
 * one frame per ready ticket per round, so a small response is never stuck behind a large
 * download. While the channel holds more than the high-water mark, sending waits, watching
 * both the `bufferedamountlow` event and a timer (@roamhq/wrtc never fires the event).
 */
export class FrameScheduler {
  readonly #channel: DataChannelLike;
  readonly #o: SchedulerOptions;
  readonly #ring: OutgoingMessage[] = [];
  readonly #inRing = new Set<OutgoingMessage>();
  #running = false;
  /**
   * Reading `bufferedAmount` is a blocking cross-thread call in @roamhq/wrtc, so it is read
   * only when it could matter: the queue can be no larger than the last reading plus what
   * was sent since, because it only shrinks on its own.
   */
  #lastBufferedAmount = 0;
  #sentSinceRead = 0;
  /**
   * Every message frame is encoded into this one buffer (grown to the largest frame), since
   * channels copy what `send` is given (the WebRTC spec; @roamhq/wrtc and the in-memory
   * channel too). A download then leaves no 256 KiB garbage buffer per frame for V8 to
   * collect lazily, which kept the edge's RSS high (docs/PERFORMANCE.md, memory).
   */
  #frameBuffer = new Uint8Array(0);
  readonly #bufferFor = (size: number): Uint8Array<ArrayBuffer> => {
    if (this.#frameBuffer.byteLength < size) this.#frameBuffer = new Uint8Array(size);
    return this.#frameBuffer;
  };
  #closed = false;
  #wakeDrain: (() => void) | undefined;

  constructor(channel: DataChannelLike, options: SchedulerOptions) {
    this.#channel = channel;
    this.#o = options;
  }

  /** Sends a small control frame now, ahead of queued body frames. */
  sendNow(frame: Uint8Array<ArrayBuffer>): void {
    if (this.#closed || this.#channel.readyState !== 'open') return;
    try {
      this.#channel.send(frame);
      this.#sentSinceRead += frame.byteLength;
    } catch (error) {
      this.#o.onSendError(error);
    }
  }

  /** Puts a message in the round when it has something to send. */
  schedule(message: OutgoingMessage): void {
    if (this.#closed || this.#inRing.has(message) || !message.isReady) return;
    this.#inRing.add(message);
    this.#ring.push(message);
    if (!this.#running) void this.#run();
  }

  close(): void {
    this.#closed = true;
    this.#frameBuffer = new Uint8Array(0);
    this.#ring.length = 0;
    this.#inRing.clear();
    this.#wakeDrain?.();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closed && this.#ring.length > 0) {
        if (this.#mayBeAboveHighWater() && this.#readBufferedAmount() > this.#o.highWaterMark) {
          await this.#drain();
          this.#readBufferedAmount();
          continue;
        }
        const message = this.#ring.shift()!;
        this.#inRing.delete(message);
        if (!message.isReady) continue;
        const frame = message.nextFrame(this.#bufferFor);
        this.#channel.send(frame);
        this.#sentSinceRead += frame.byteLength;
        message.afterSend();
        if (message.isReady) {
          this.#inRing.add(message);
          this.#ring.push(message);
        }
      }
    } catch (error) {
      this.#o.onSendError(error);
    } finally {
      this.#running = false;
    }
  }

  #mayBeAboveHighWater(): boolean {
    return this.#lastBufferedAmount + this.#sentSinceRead > this.#o.highWaterMark;
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
        if (this.#closed || channel.bufferedAmount <= this.#o.lowWaterMark) done();
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
