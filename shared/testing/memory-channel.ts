import type { DataChannelLike } from '@peerfetch/shared';

export interface MemoryChannelOptions {
  /** One-way delay of every message in ms. Default 0. */
  latencyMs?: number;
  /** Largest message either end accepts, as SCTP's max-message-size. Default 256 KiB. */
  maxMessageSize?: number;
  /** Link speed in bytes per millisecond; bufferedAmount builds up when sending faster. Default unlimited. */
  bytesPerMs?: number;
  /** Whether `bufferedamountlow` fires; @roamhq/wrtc never fires it. Default true. */
  firesBufferedAmountLow?: boolean;
  /** Start in 'connecting' and open after this many ms. Default: open at once. */
  openAfterMs?: number;
}

interface InFlight {
  data: ArrayBuffer;
  dueAt: number;
}

/**
 * One end of an in-memory DataChannel. Messages are copied, delayed, rate-limited and
 * delivered in order; `bufferedAmount` counts what is sent but not yet delivered. A message
 * over the size limit is recorded in `oversized` and closes the channel, as SCTP does.
 */
export class MemoryChannel extends EventTarget implements DataChannelLike {
  binaryType = 'blob';
  bufferedAmountLowThreshold = 0;
  readyState: 'connecting' | 'open' | 'closing' | 'closed';
  bufferedAmount = 0;
  /** Sizes of messages that exceeded maxMessageSize; tests assert this stays empty. */
  readonly oversized: number[] = [];
  /** Largest message sent so far. */
  largestSent = 0;
  /** Messages sent so far. */
  messagesSent = 0;
  /** While true, everything sent is silently lost (a dead network the channel has not noticed). */
  blackhole = false;
  peer!: MemoryChannel;
  readonly #o: Required<Omit<MemoryChannelOptions, 'openAfterMs'>>;
  readonly #queue: InFlight[] = [];
  #delivering = false;
  /** When the link finishes carrying the last message sent, for the bandwidth model. */
  #linkFreeAt = 0;

  constructor(options: MemoryChannelOptions) {
    super();
    this.#o = {
      latencyMs: options.latencyMs ?? 0,
      maxMessageSize: options.maxMessageSize ?? 256 * 1024,
      bytesPerMs: options.bytesPerMs ?? Number.POSITIVE_INFINITY,
      firesBufferedAmountLow: options.firesBufferedAmountLow ?? true,
    };
    this.readyState = options.openAfterMs === undefined ? 'open' : 'connecting';
  }

  get maxMessageSize(): number {
    return this.#o.maxMessageSize;
  }

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open')
      throw new DOMException('data channel is not open', 'InvalidStateError');
    const size = data.byteLength;
    this.messagesSent++;
    this.largestSent = Math.max(this.largestSent, size);
    if (size > this.#o.maxMessageSize) {
      this.oversized.push(size);
      this.close();
      return;
    }
    if (this.blackhole) return;
    this.bufferedAmount += size;
    const now = Date.now();
    this.#linkFreeAt = Math.max(now, this.#linkFreeAt) + size / this.#o.bytesPerMs;
    const dueAt = Math.max(now + this.#o.latencyMs, this.#linkFreeAt);
    this.#queue.push({ data: data.slice().buffer, dueAt });
    this.#scheduleDelivery(dueAt - now);
  }

  close(): void {
    if (this.readyState === 'closing' || this.readyState === 'closed') return;
    this.readyState = 'closing';
    if (this.peer.readyState === 'open' || this.peer.readyState === 'connecting')
      this.peer.readyState = 'closing';
    // Queued messages are still delivered, as a reliable channel flushes before closing.
    this.#scheduleDelivery(0);
  }

  /** Opens both ends (for channels created with `openAfterMs`). */
  markOpen(): void {
    for (const end of [this, this.peer]) {
      if (end.readyState !== 'connecting') continue;
      end.readyState = 'open';
      end.dispatchEvent(new Event('open'));
    }
  }

  #scheduleDelivery(delayMs: number): void {
    if (this.#delivering) return;
    this.#delivering = true;
    setTimeout(() => void this.#deliver(), delayMs);
  }

  async #deliver(): Promise<void> {
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (next.dueAt > Date.now()) break;
      this.#queue.shift();
      this.bufferedAmount -= next.data.byteLength;
      const wasAbove = this.bufferedAmount + next.data.byteLength > this.bufferedAmountLowThreshold;
      if (this.peer.readyState !== 'closed')
        this.peer.dispatchEvent(new MessageEvent('message', { data: next.data }));
      if (
        wasAbove &&
        this.bufferedAmount <= this.bufferedAmountLowThreshold &&
        this.#o.firesBufferedAmountLow
      ) {
        this.dispatchEvent(new Event('bufferedamountlow'));
      }
      // Let the receiver's microtasks run between messages, as separate tasks would.
      await Promise.resolve();
    }
    this.#delivering = false;
    if (this.#queue.length > 0) {
      this.#scheduleDelivery(Math.max(this.#queue[0]!.dueAt - Date.now(), 1));
    } else if (this.readyState === 'closing' && this.peer.#queue.length === 0) {
      // Both directions flush before the close completes; the other end's delivery
      // finishes it when it still has messages on the way.
      this.#finishClose();
    }
  }

  #finishClose(): void {
    for (const end of [this, this.peer]) {
      if (end.readyState === 'closed') continue;
      end.readyState = 'closed';
      end.dispatchEvent(new Event('close'));
    }
  }
}

/** Two connected in-memory channel ends. */
export function createMemoryChannelPair(
  options: MemoryChannelOptions = {},
): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel(options);
  const b = new MemoryChannel(options);
  a.peer = b;
  b.peer = a;
  if (options.openAfterMs !== undefined) setTimeout(() => a.markOpen(), options.openAfterMs);
  return [a, b];
}
