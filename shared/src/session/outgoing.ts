import { FRAME_HEADER_SIZE, HEAD_LENGTH_SIZE } from '../constants.js';
import { toError } from '../errors.js';
import { encodeFrameInto, encodeUint32, frameSize } from '../wire/frame.js';
import { FrameFlag, FrameType } from '../wire/frame-types.js';
import type { BodySource } from './body-source.js';

export interface OutgoingOptions {
  ticket: number;
  type: typeof FrameType.Request | typeof FrameType.Response | typeof FrameType.WebSocket;
  head: Uint8Array;
  body: BodySource;
  /** Body bytes the peer accepts before granting more (its HELLO window). */
  initialCredit: number;
  /** Largest frame either side allows; bounds read-ahead too. */
  maxFrameSize: number;
  headCoalesceMs: number;
  /** Called whenever the message may have a frame to send. */
  onReady(): void;
  /** Called once if the body source fails; the message sends nothing more. */
  onSourceError(error: Error): void;
  /** Called once the frame carrying END is on the channel. */
  onEndSent(): void;
}

/**
 * One message (request or response) on its way out: its head, then its body in frames
 * no larger than the negotiated size, never more body bytes than the peer has granted.
 * The body source is read ahead by about two frames, so a stalled peer stalls the source.
 */
export class OutgoingMessage {
  readonly #o: OutgoingOptions;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #credit: number;
  #reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader | undefined;
  /**
   * For a byte stream (a file, say), the buffers it read into whose bytes have all gone into
   * frames: the next reads fill them again, so a long body allocates nothing per read.
   */
  #spareBuffers: ArrayBuffer[] | undefined;
  #reading = false;
  #sourceDone = false;
  #headSent = false;
  #endSent = false;
  #endReported = false;
  #stopped = false;
  #holdHead: boolean;
  #holdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: OutgoingOptions) {
    this.#o = options;
    this.#credit = options.initialCredit;
    const { body } = options;
    if (body.kind === 'bytes') {
      if (body.bytes.byteLength > 0) this.#push(body.bytes);
      this.#sourceDone = true;
    } else if (body.kind === 'none') {
      this.#sourceDone = true;
    } else {
      this.#reader = byobReaderOf(body.stream);
      if (this.#reader) this.#spareBuffers = [];
      else this.#reader = body.stream.getReader();
    }
    // A streamed body may hold the head back briefly so a small message still fits one frame.
    this.#holdHead = body.kind === 'stream' && options.headCoalesceMs > 0;
    if (this.#holdHead) {
      this.#holdTimer = setTimeout(() => this.#releaseHead(), options.headCoalesceMs);
    }
    this.#pump();
  }

  /** True when END has been sent or the message was stopped: nothing more will go out. */
  get isFinished(): boolean {
    return this.#endSent || this.#stopped;
  }

  get isReady(): boolean {
    if (this.isFinished) return false;
    if (!this.#headSent) return !this.#holdHead;
    if (this.#buffered > 0) return this.#credit >= Math.min(this.#buffered, this.#smallestCut);
    return this.#sourceDone;
  }

  /**
   * A frame that credit would cut below this waits for more credit instead. The window is
   * two full frames and a few bytes, so spending every last byte sent those few bytes as a
   * message of their own, one for every two frames: each a blocking `send` on wrtc and a
   * message event at the peer. A quarter window cannot stall: the peer then has more than
   * three quarters outstanding, and grants by the time it has read half (PROTOCOL.md §7).
   */
  get #smallestCut(): number {
    return Math.min(this.#o.initialCredit / 4, this.#o.maxFrameSize);
  }

  addCredit(bytes: number): void {
    this.#credit += bytes;
    if (this.isReady) this.#o.onReady();
  }

  /**
   * The next frame. Only call while `isReady`. It is encoded into `bufferFor(size)`; a caller
   * that passes a reused buffer must send the frame before the next call.
   */
  nextFrame(bufferFor: (size: number) => Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    const headPart = this.#headSent ? 0 : HEAD_LENGTH_SIZE + this.#o.head.byteLength;
    const room = this.#o.maxFrameSize - FRAME_HEADER_SIZE - headPart;
    const parts = this.#take(Math.min(room, this.#buffered, this.#credit));
    const end = this.#sourceDone && this.#buffered === 0;
    const flags = end ? FrameFlag.End : 0;
    let type: FrameType = FrameType.Data;
    if (!this.#headSent) {
      const { head } = this.#o;
      parts.unshift(encodeUint32(head.byteLength), head);
      type = this.#o.type;
      this.#headSent = true;
    }
    const frame = encodeFrameInto(
      bufferFor(frameSize(parts)),
      type,
      flags,
      this.#o.ticket,
      ...parts,
    );
    if (end) this.#endSent = true;
    return frame;
  }

  /** True once the head is in a frame: from then on the peer will know this ticket. */
  get headSent(): boolean {
    return this.#headSent;
  }

  /**
   * The scheduler has taken the last frame: whatever the session sends next follows it.
   * Reading more of the source waits until now, not inside `nextFrame`: a source that is a
   * peer's body grants credit as it is read, and that CREDIT must not be encoded while the
   * frame is still being built in the scheduler's buffer.
   */
  afterSend(): void {
    if (!this.#endSent) this.#pump();
    if (this.#endSent && !this.#endReported) {
      this.#endReported = true;
      this.#o.onEndSent();
    }
  }

  /** Stops sending and releases the source (cancelling a stream with `reason`). */
  stop(reason: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#holdTimer);
    this.#chunks.length = 0;
    this.#buffered = 0;
    if (this.#reader && !this.#sourceDone) this.#reader.cancel(reason).catch(() => {});
  }

  #take(count: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let remaining = count;
    while (remaining > 0) {
      const chunk = this.#chunks[0]!;
      if (chunk.byteLength <= remaining) {
        parts.push(chunk);
        this.#chunks.shift();
        remaining -= chunk.byteLength;
        // Read into again only after this frame is encoded: reads start in afterSend.
        this.#spareBuffers?.push(chunk.buffer as ArrayBuffer);
      } else {
        parts.push(chunk.subarray(0, remaining));
        this.#chunks[0] = chunk.subarray(remaining);
        remaining = 0;
      }
    }
    this.#buffered -= count;
    this.#credit -= count;
    return parts;
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
  }

  #releaseHead(): void {
    if (!this.#holdHead) return;
    this.#holdHead = false;
    clearTimeout(this.#holdTimer);
    if (this.isReady) this.#o.onReady();
  }

  /** Reads from the stream until about two frames are buffered or it ends. */
  #pump(): void {
    if (!this.#reader || this.#reading || this.#sourceDone || this.#stopped) return;
    if (this.#buffered >= 2 * this.#o.maxFrameSize) return;
    this.#reading = true;
    const reading = this.#spareBuffers
      ? (this.#reader as ReadableStreamBYOBReader).read(
          new Uint8Array(this.#spareBuffers.pop() ?? new ArrayBuffer(this.#o.maxFrameSize)),
        )
      : (this.#reader as ReadableStreamDefaultReader<Uint8Array>).read();
    reading.then(
      ({ done, value }) => {
        this.#reading = false;
        if (this.#stopped) return;
        if (done) {
          this.#sourceDone = true;
        } else if (!(value instanceof Uint8Array)) {
          this.#fail(new TypeError('body stream chunks must be Uint8Array'));
          return;
        } else if (value.byteLength > 0) {
          this.#push(value);
        } else {
          this.#spareBuffers?.push(value.buffer as ArrayBuffer);
        }
        // The head goes as soon as its frame is full or the body is complete.
        const headRoom =
          this.#o.maxFrameSize - FRAME_HEADER_SIZE - HEAD_LENGTH_SIZE - this.#o.head.byteLength;
        if (this.#sourceDone || this.#buffered >= headRoom) this.#releaseHead();
        if (this.isReady) this.#o.onReady();
        this.#pump();
      },
      (error: unknown) => {
        this.#reading = false;
        if (!this.#stopped) this.#fail(toError(error));
      },
    );
  }

  #fail(error: Error): void {
    this.stop(error);
    this.#o.onSourceError(error);
  }
}

/** A reader that fills our buffers, if the stream is a byte stream; only those take one. */
function byobReaderOf(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return stream.getReader({ mode: 'byob' });
  } catch {
    return undefined;
  }
}
