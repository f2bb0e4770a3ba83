/**
 * A ReadableStream carried over a MessagePort with credit-based backpressure, so neither side
 * ever holds more than a small window of a body. The receiver grants credits (one per chunk)
 * as its consumer drains the queue; the sender reads from its source only while it has credit.
 *
 * Why not transferable streams: Chromium and Firefox transfer a ReadableStream through
 * postMessage, but Safari (every browser on iOS) does not, and the phone is where this app
 * lives. One path for every browser, at the cost of one small message per chunk.
 */

/**
 * Chunks in flight or queued on the receiving side. Answer chunks are the session's DATA
 * frames (64 KiB with the usual peer, 256 KiB at most), so at most 2 MiB. Everything in this
 * window is read from the device whether or not it is played: a video seek abandons it, so
 * a larger window makes the device read more of a file than is watched (32 chunks made the
 * edge read 43 % of a video for one seek on a loaded machine; 8 made it 14 %). The price is
 * throughput: in the same quick bench, 16 chunks gave 1.00× the page's own fetch and 8 gave
 * 0.80×. A window that grows while a stream is read through would have both.
 */
export const PORT_STREAM_WINDOW = 8;

type SenderMessage =
  | { type: 'chunk'; chunk: Uint8Array }
  | { type: 'end' }
  | { type: 'error'; message: string };
type ReceiverMessage = { type: 'credit'; n: number } | { type: 'cancel'; reason: string };

/** Sends `source` through `port` as the receiver asks for it; closes the port when done. */
export function sendStream(source: ReadableStream<Uint8Array> | null, port: MessagePort): void {
  if (!source) {
    post(port, { type: 'end' });
    port.close();
    return;
  }
  const reader = source.getReader();
  let credit = 0;
  let pumping = false;
  let finished = false;
  const finish = () => {
    finished = true;
    port.close();
  };
  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (credit > 0 && !finished) {
        const { done, value } = await reader.read();
        if (finished) return;
        if (done) {
          post(port, { type: 'end' });
          finish();
          return;
        }
        if (value.byteLength === 0) continue;
        credit -= 1;
        // Transfer the bytes rather than copy them; a view into a larger buffer is cut out first.
        const chunk =
          value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
            ? value
            : value.slice();
        port.postMessage({ type: 'chunk', chunk } satisfies SenderMessage, [chunk.buffer]);
      }
    } catch (error) {
      if (!finished) {
        post(port, { type: 'error', message: messageOf(error) });
        finish();
      }
    } finally {
      pumping = false;
    }
  }
  port.onmessage = (event: MessageEvent<ReceiverMessage>) => {
    const message = event.data;
    if (message.type === 'credit') {
      credit += message.n;
      void pump();
    } else if (message.type === 'cancel') {
      finish();
      reader.cancel(new Error(message.reason)).catch(() => undefined);
    }
  };
}

export interface ReceivedStream {
  readable: ReadableStream<Uint8Array>;
  /** Settles when the stream ends, fails or is cancelled. */
  done: Promise<void>;
}

/**
 * The stream arriving on `port` from sendStream. Cancelling it, or aborting `signal`, cancels
 * the sender's source.
 */
export function receiveStream(
  port: MessagePort,
  options: { window?: number; signal?: AbortSignal } = {},
): ReceivedStream {
  const { window = PORT_STREAM_WINDOW, signal } = options;
  let granted = 0;
  let settled = false;
  let markDone = () => {};
  const done = new Promise<void>((resolve) => {
    markDone = resolve;
  });
  const settle = () => {
    settled = true;
    port.close();
    signal?.removeEventListener('abort', onAbort);
    markDone();
  };
  const cancel = (reason: unknown) => {
    if (settled) return;
    post(port, { type: 'cancel', reason: messageOf(reason) });
    settle();
  };
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  function onAbort() {
    if (settled) return;
    cancel(signal?.reason);
    controllerRef?.error(signal?.reason);
  }
  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
        signal?.addEventListener('abort', onAbort, { once: true });
        port.onmessage = (event: MessageEvent<SenderMessage>) => {
          if (settled) return;
          const message = event.data;
          if (message.type === 'chunk') {
            granted -= 1;
            controller.enqueue(message.chunk);
            return;
          }
          settle();
          if (message.type === 'end') controller.close();
          else controller.error(new Error(message.message));
        };
      },
      // Called after every enqueue and read while the queue has room: top the credit up to it.
      pull(controller) {
        const want = (controller.desiredSize ?? 0) - granted;
        if (want > 0 && !settled) {
          granted += want;
          post(port, { type: 'credit', n: want });
        }
      },
      cancel,
    },
    new CountQueuingStrategy({ highWaterMark: window }),
  );
  return { readable, done };
}

function post(port: MessagePort, message: SenderMessage | ReceiverMessage): void {
  port.postMessage(message);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return error === undefined ? 'cancelled' : String(error);
}
