/**
 * One side of a WebSocket carried on a ticket (PROTOCOL.md §12): our records go into the
 * ticket's outgoing body, the peer's are cut from its incoming body. Both bodies are paced
 * by the ticket's window: a side that stops reading stops the other after one window.
 */
import { toError } from '../errors.js';
import {
  decodeClosePayload,
  encodeClosePayload,
  encodeWsRecord,
  WsMessageTooBigError,
  WsOpcode,
  type WsRecord,
  WsRecordParser,
} from '../wire/ws-records.js';

export interface WsPipeEvents {
  /** A text, binary, ping or pong message from the peer. */
  onMessage(record: WsRecord): void;
  /** The peer sent its close record. */
  onPeerClose(code: number, reason: string): void;
  /**
   * The peer's side ended without a close record, or could not be read: the socket is gone
   * (code 1006, or 1009 / 1002 for what we refused).
   */
  onBroken(code: number, reason: string): void;
  /** Our queue has fallen to the low-water mark again. */
  onDrain?(): void;
}

/** Bytes we queue before saying "wait" (`bufferedAmount` above it). */
const QUEUE_HIGH_WATER = 1024 * 1024;

export class WsPipe {
  /** The ticket's outgoing body. */
  readonly outgoing: ReadableStream<Uint8Array>;
  readonly #events: WsPipeEvents;
  readonly #parser: WsRecordParser;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #closeSent = false;
  #ended = false;
  #paused = false;
  #resume: (() => void) | undefined;

  constructor(maxMessageBytes: number, events: WsPipeEvents) {
    this.#events = events;
    this.#parser = new WsRecordParser(maxMessageBytes);
    this.outgoing = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        // Called whenever the session has taken the queue below a quarter of the mark.
        pull: () => this.#events.onDrain?.(),
        cancel: () => {
          this.#ended = true;
        },
      },
      { highWaterMark: QUEUE_HIGH_WATER / 4, size: (chunk) => chunk.byteLength },
    );
  }

  /** Bytes queued for the peer and not yet taken by the session. */
  get bufferedAmount(): number {
    const desired = this.#controller.desiredSize;
    // A closed stream reports 0 (not the mark) once its queue has been taken.
    if (this.#ended || desired === null || (this.#closeSent && desired === 0)) return 0;
    return Math.max(0, QUEUE_HIGH_WATER / 4 - desired);
  }

  /** True while the queue is above its high-water mark: a producer should wait for onDrain. */
  get full(): boolean {
    return this.bufferedAmount > QUEUE_HIGH_WATER;
  }

  /** True once our close record has gone into the queue: nothing more may be sent. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** Queues a message; false if the pipe is closed (after our close record, or broken). */
  send(opcode: WsOpcode, payload: Uint8Array): boolean {
    if (this.#closeSent || this.#ended) return false;
    this.#controller.enqueue(encodeWsRecord(opcode, payload));
    return true;
  }

  /** Sends our close record and ends our body: the peer answers with its own. */
  close(code?: number, reason?: string): void {
    if (this.#closeSent || this.#ended) return;
    this.send(WsOpcode.Close, encodeClosePayload(code, reason));
    this.#closeSent = true;
    this.#controller.close();
  }

  /** Stops reading the peer's records (its sender stalls once its window is spent). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#resume?.();
  }

  /** Reads the peer's body until it ends; call once. */
  async readFrom(incoming: ReadableStream<Uint8Array>): Promise<void> {
    const reader = incoming.getReader();
    this.#reader = reader;
    try {
      for (;;) {
        while (this.#paused) await new Promise<void>((r) => (this.#resume = r));
        const { done, value } = await reader.read();
        if (done) break;
        for (const record of this.#parser.push(value)) {
          if (record.opcode !== WsOpcode.Close) {
            this.#events.onMessage(record);
            continue;
          }
          const { code, reason } = decodeClosePayload(record.payload);
          this.#events.onPeerClose(code, reason);
          reader.cancel().catch(() => {});
          return;
        }
      }
      this.#broken(1006, 'the peer ended without a close');
    } catch (error) {
      // What we refuse is told to the peer with a close of its own code (RFC 6455 §7.4.1).
      if (error instanceof WsMessageTooBigError) {
        this.close(1009, 'message too big');
        this.#broken(1009, error.message);
      } else if ((error as { code?: string }).code === 'malformed-frame') {
        this.close(1002, 'protocol error');
        this.#broken(1002, toError(error).message);
      } else this.#broken(1006, toError(error).message);
      reader.cancel(error).catch(() => {});
    }
  }

  /** Ends both directions at once, without a close handshake. */
  abort(reason: Error): void {
    if (!this.#ended) {
      this.#ended = true;
      try {
        this.#controller.error(reason);
      } catch {
        // Already closed.
      }
    }
    this.#reader?.cancel(reason).catch(() => {});
    this.resume();
  }

  #broken(code: number, reason: string): void {
    this.#events.onBroken(code, reason);
  }
}
