import { BATCH_ENTRY_PREFIX_SIZE, FRAME_HEADER_SIZE } from '../constants.js';
import { encodeFrameInto } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';

/** Where the first entry's frame starts: after the BATCH header and the entry's length. */
const FIRST_FRAME_AT = FRAME_HEADER_SIZE + BATCH_ENTRY_PREFIX_SIZE;

/**
 * Packs frames into DataChannel messages. Frames are encoded in place into one reused
 * buffer laid out as a BATCH (PROTOCOL.md §2): a message holding one frame goes out as that
 * frame alone, several go out as one BATCH. With batching off (before the handshake, or a
 * peer that does not accept BATCH) every frame is its own message, sent at once.
 *
 * Each `send` on @roamhq/wrtc is a blocking call into libwebrtc's threads (0.2–0.3 ms even
 * for a few bytes), and each message costs the receiver an event, so many small frames
 * (responses at 64 in flight, CREDIT, CANCEL) are cheaper as one message: at 64 in flight
 * about twice the request rate (docs/PERFORMANCE.md#why-batch).
 */
export class MessagePacker {
  readonly #send: (message: Uint8Array<ArrayBuffer>) => void;
  /** Largest message when batching, 0 when batching is off. */
  #limit = 0;
  #buffer = new Uint8Array(0);
  /** Where the next entry's length prefix goes. */
  #end = FRAME_HEADER_SIZE;
  #count = 0;
  /** A frame has been placed and not yet committed: nothing else may be placed. */
  #placed = false;

  /** `send` puts one message on the channel; it may throw. */
  constructor(send: (message: Uint8Array<ArrayBuffer>) => void) {
    this.#send = send;
  }

  /** Packs several frames per message from now on, none larger than `limit` bytes. */
  enable(limit: number): void {
    this.#limit = limit;
  }

  get batching(): boolean {
    return this.#limit > 0;
  }

  /** Bytes packed and not yet sent. */
  get pendingBytes(): number {
    return this.#end - FRAME_HEADER_SIZE;
  }

  /**
   * A view of exactly `size` bytes to encode the next frame into; then call {@link commit}.
   * Sends what is packed first when the frame would not fit beside it.
   */
  place(size: number): Uint8Array<ArrayBuffer> {
    // Placing again before the commit would hand out the same bytes twice.
    if (this.#placed) throw new Error('a frame was placed while another is being encoded');
    if (this.#count > 0 && this.#end + BATCH_ENTRY_PREFIX_SIZE + size > this.#limit) {
      this.sendPending();
    }
    const start = this.#end + BATCH_ENTRY_PREFIX_SIZE;
    if (this.#buffer.byteLength < start + size) this.#grow(start + size);
    this.#placed = true;
    return this.#buffer.subarray(start, start + size);
  }

  /** The frame placed last is complete; without batching it is sent now. */
  commit(size: number): void {
    this.#placed = false;
    new DataView(this.#buffer.buffer).setUint32(this.#end, size);
    this.#end += BATCH_ENTRY_PREFIX_SIZE + size;
    this.#count++;
    if (this.#limit === 0) this.sendPending();
  }

  /** Packs a frame that is already encoded. */
  add(frame: Uint8Array): void {
    this.place(frame.byteLength).set(frame);
    this.commit(frame.byteLength);
  }

  /** Sends what is packed, as a lone frame or a BATCH. */
  sendPending(): void {
    if (this.#count === 0) return;
    if (this.#count > 1) encodeFrameInto(this.#buffer, FrameType.Batch, 0, 0);
    const message = this.#buffer.subarray(this.#count === 1 ? FIRST_FRAME_AT : 0, this.#end);
    this.#end = FRAME_HEADER_SIZE;
    this.#count = 0;
    this.#send(message);
  }

  /** Drops what is packed and the buffer. */
  clear(): void {
    this.#placed = false;
    this.#end = FRAME_HEADER_SIZE;
    this.#count = 0;
    this.#buffer = new Uint8Array(0);
  }

  #grow(size: number): void {
    // One frame of the limit (or the largest seen) plus the batch framing: then it stays.
    const next = new Uint8Array(Math.max(size, this.#limit + FIRST_FRAME_AT));
    next.set(this.#buffer.subarray(0, this.#end));
    this.#buffer = next;
  }
}
