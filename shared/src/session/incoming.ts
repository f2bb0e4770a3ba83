import { ProtocolError } from '../errors.js';

export interface IncomingOptions {
  /** The window we announced: most body bytes the peer may have outstanding. */
  window: number;
  /** Grants the peer `bytes` more (sends CREDIT). */
  grant(bytes: number): void;
  /** The reader cancelled the body before its end. */
  onCancel(reason: unknown): void;
}

/**
 * The body of a message arriving from the peer, as a ReadableStream. Bytes are handed to
 * the reader only when it asks (pull), and credit goes back to the peer only as the reader
 * consumes, so a reader that stops reading stops the sender after one window.
 */
export class IncomingBody {
  readonly #o: IncomingOptions;
  #stream: ReadableStream<Uint8Array> | undefined;
  readonly #queue: Uint8Array[] = [];
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Bytes received and not yet granted back to the peer. */
  #outstanding = 0;
  /** Bytes handed to the reader since the last grant. */
  #consumed = 0;
  #ended = false;
  #error: Error | undefined;
  #cancelled = false;
  #wake: (() => void) | undefined;

  constructor(options: IncomingOptions) {
    this.#o = options;
  }

  /**
   * The body as a stream, made on first use: most requests have an empty body nobody reads,
   * and every web stream costs Node 20 a `makeTransferable` (visible in edge profiles).
   */
  get stream(): ReadableStream<Uint8Array> {
    this.#stream ??= new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          if (this.#error) controller.error(this.#error);
        },
        pull: (controller) => this.#pull(controller),
        cancel: (reason) => {
          this.#cancelled = true;
          this.#queue.length = 0;
          if (!this.#ended) this.#o.onCancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return this.#stream;
  }

  /** True once END has arrived (the reader may still be draining the queue). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds received body bytes. Throws a ProtocolError if the peer overran its credit. */
  push(bytes: Uint8Array, end: boolean): void {
    if (this.#ended)
      throw new ProtocolError('unexpected-frame', 'body bytes after the end of the message');
    this.#outstanding += bytes.byteLength;
    if (this.#outstanding > this.#o.window) {
      throw new ProtocolError(
        'flow-control',
        `peer sent ${this.#outstanding} bytes against a window of ${this.#o.window}`,
      );
    }
    if (end) this.#ended = true;
    if (this.#cancelled || this.#error) return;
    if (bytes.byteLength > 0) this.#queue.push(bytes);
    this.#wake?.();
  }

  /** Fails the body unless it already arrived whole: a complete body stays readable. */
  fail(error: Error): void {
    if (this.#ended || this.#error || this.#cancelled) return;
    this.#error = error;
    this.#queue.length = 0;
    try {
      this.#controller?.error(error);
    } catch {
      // Already closed or errored.
    }
    this.#wake?.();
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#error) return;
      const chunk = this.#queue.shift();
      if (chunk) {
        controller.enqueue(chunk);
        this.#consumed += chunk.byteLength;
        this.#maybeGrant();
        return;
      }
      if (this.#ended) {
        controller.close();
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** Grants in quarters of the window: few CREDIT frames, and the sender never runs dry. */
  #maybeGrant(): void {
    if (this.#ended || this.#consumed < this.#o.window / 4) return;
    this.#o.grant(this.#consumed);
    this.#outstanding -= this.#consumed;
    this.#consumed = 0;
  }
}
