import { ProtocolError } from '../errors.js';
import type { AuthChannel } from './auth.js';

/**
 * AUTH messages a peer may have sent ahead of the authenticator: both exchanges read one at
 * a time, so a few is plenty, and a stranger holds at most this many control payloads.
 */
const MAX_UNREAD_AUTH_MESSAGES = 4;

/** Queues AUTH messages from the peer until the authenticator asks for them. */
export class AuthInbox implements AuthChannel {
  readonly role: 'client' | 'server';
  readonly #send: (message: Uint8Array) => void;
  readonly #messages: Uint8Array[] = [];
  readonly #waiting: { resolve(message: Uint8Array): void; reject(error: Error): void }[] = [];
  #closedWith: Error | undefined;

  constructor(role: 'client' | 'server', send: (message: Uint8Array) => void) {
    this.role = role;
    this.#send = send;
  }

  send(message: Uint8Array): void {
    if (this.#closedWith) throw this.#closedWith;
    this.#send(message);
  }

  /** Messages that arrived before the session closed stay readable: they may say why. */
  receive(): Promise<Uint8Array> {
    const message = this.#messages.shift();
    if (message) return Promise.resolve(message);
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  deliver(message: Uint8Array): void {
    // Copy: the frame's buffer is the channel's, and the authenticator may keep it.
    const copy = message.slice();
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(copy);
    else if (this.#messages.length < MAX_UNREAD_AUTH_MESSAGES) this.#messages.push(copy);
    else throw new ProtocolError('unexpected-frame', 'too many unread AUTH messages');
  }

  close(error: Error): void {
    this.#closedWith ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }
}
