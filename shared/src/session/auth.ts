/**
 * The authentication step that runs after the version handshake and before any request.
 * Its messages travel in AUTH frames on ticket 0; their content belongs to the authenticator.
 */
export interface AuthChannel {
  readonly role: 'client' | 'server';
  /** Sends one AUTH message (at most MAX_CONTROL_PAYLOAD bytes). */
  send(message: Uint8Array): void;
  /** The next AUTH message from the peer; rejects if the session closes or times out. */
  receive(): Promise<Uint8Array>;
}

/** Resolves when the peer is proven; throws (any error) to refuse it. */
export type Authenticator = (channel: AuthChannel) => Promise<void>;
