/**
 * The raw DataChannel baselines: the same frame size and the same high/low-water policy as
 * the shared FrameScheduler (stop above the high-water mark, resume at the low-water mark,
 * watching `bufferedamountlow` and a 2 ms timer), with no protocol at all.
 */
import type { DataChannelLike } from '@peerfetch/shared';

export interface SendPolicy {
  frameSize: number;
  highWaterMark: number;
  lowWaterMark: number;
  /** Default 2 ms, as the shared scheduler. */
  drainPollMs?: number;
}

export function waitForDrain(channel: DataChannelLike, policy: SendPolicy): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (channel.readyState !== 'open' || channel.bufferedAmount <= policy.lowWaterMark) done();
    };
    const done = () => {
      clearInterval(timer);
      channel.removeEventListener('bufferedamountlow', check);
      resolve();
    };
    channel.bufferedAmountLowThreshold = policy.lowWaterMark;
    channel.addEventListener('bufferedamountlow', check);
    const timer = setInterval(check, policy.drainPollMs ?? 2);
  });
}

/** Sends `total` bytes of `pattern` as fast as the policy allows. */
export async function sendBytes(
  channel: DataChannelLike,
  total: number,
  pattern: Uint8Array,
  policy: SendPolicy,
): Promise<void> {
  // Whole frames cut once (copies), so wrtc gets plain buffers exactly as a session's frames.
  const frames: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 0; at + policy.frameSize <= pattern.byteLength; at += policy.frameSize)
    frames.push(pattern.slice(at, at + policy.frameSize));
  let index = 0;
  for (let sent = 0; sent < total; ) {
    if (channel.readyState !== 'open') throw new Error('channel closed while sending');
    if (channel.bufferedAmount > policy.highWaterMark) {
      await waitForDrain(channel, policy);
      continue;
    }
    const n = Math.min(policy.frameSize, total - sent);
    const frame = frames[index++ % frames.length]!;
    channel.send(n === frame.byteLength ? frame : frame.slice(0, n));
    sent += n;
  }
}

/** Resolves once `total` bytes have arrived on `channel` (counted, not kept). */
export function receiveBytes(channel: DataChannelLike, total: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const onMessage = (event: unknown) => {
      const data = (event as MessageEvent<ArrayBuffer | ArrayBufferView>).data;
      received += data.byteLength;
      if (received >= total) finish();
    };
    const onClose = () => {
      channel.removeEventListener('message', onMessage);
      reject(new Error(`channel closed after ${received} of ${total} bytes`));
    };
    const finish = () => {
      channel.removeEventListener('message', onMessage);
      channel.removeEventListener('close', onClose);
      resolve();
    };
    channel.addEventListener('message', onMessage);
    channel.addEventListener('close', onClose);
  });
}

/** The credit a windowed sender has left, and a way to wait until it grows. */
export class RawCredit {
  #bytes: number;
  #wake: (() => void) | undefined;
  constructor(window: number) {
    this.#bytes = window;
  }
  get bytes(): number {
    return this.#bytes;
  }
  add(bytes: number): void {
    this.#bytes += bytes;
    this.#wake?.();
  }
  take(bytes: number): void {
    this.#bytes -= bytes;
  }
  /** Resolves at the next `add` (or at once when the channel closed). */
  grown(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

/**
 * `sendBytes` paced as PeerFetch paces a body: never more than the credit unacknowledged,
 * frames cut at the credit. What PeerFetch adds over this is its own code.
 */
export async function sendBytesWindowed(
  channel: DataChannelLike,
  total: number,
  pattern: Uint8Array,
  policy: SendPolicy,
  credit: RawCredit,
): Promise<void> {
  const frame = pattern.slice(0, policy.frameSize);
  for (let sent = 0; sent < total; ) {
    if (channel.readyState !== 'open') throw new Error('channel closed while sending');
    if (credit.bytes <= 0) {
      await credit.grown();
      continue;
    }
    if (channel.bufferedAmount > policy.highWaterMark) {
      await waitForDrain(channel, policy);
      continue;
    }
    const n = Math.min(policy.frameSize, total - sent, credit.bytes);
    channel.send(n === frame.byteLength ? frame : frame.slice(0, n));
    credit.take(n);
    sent += n;
  }
}
