import type { DataChannelLike, Frame } from '@peerfetch/shared';
import { framesOf } from './frames.js';

/** What `addEventListener` takes, named the same under DOM and Node types. */
type Listener = Parameters<EventTarget['addEventListener']>[1];

/**
 * A channel end driven by hand: what the session sends is recorded, and a test injects
 * whatever the "peer" says, synchronously. For protocol-violation and fuzz tests.
 */
export class FakeChannel extends EventTarget implements DataChannelLike {
  binaryType = 'blob';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readyState = 'open';
  readonly sent: Uint8Array[] = [];
  readonly #listeners = new Set<string>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 0;

  /** How many listeners are attached now (a closed session must leave none). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') throw new DOMException('closed', 'InvalidStateError');
    this.sent.push(data.slice());
  }

  close(): void {
    this.readyState = 'closed';
  }

  /** The peer closes the channel: it closes, and says so. */
  closeFromPeer(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }

  inject(data: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  /** Every frame sent, BATCH messages unpacked. */
  sentFrames(): Frame[] {
    return this.sent.flatMap((bytes) => framesOf(bytes));
  }

  override addEventListener(type: string, listener: Listener): void {
    if (listener) this.#listeners.add(this.#key(type, listener));
    super.addEventListener(type, listener);
  }

  override removeEventListener(type: string, listener: Listener): void {
    if (listener) this.#listeners.delete(this.#key(type, listener));
    super.removeEventListener(type, listener);
  }

  #key(type: string, listener: object): string {
    let id = this.#ids.get(listener);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(listener, id);
    }
    return `${type}#${id}`;
  }
}
