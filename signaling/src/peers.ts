/**
 * The peers connected to the PeerServer right now, kept from its `connection` and
 * `disconnect` events, so HTTP routes can check that `{id, token}` is a live peer, and so a
 * new socket for an id can retire the one it replaces.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IClient } from 'peer';
import type { WebSocket } from 'ws';

/** A registration as PeerServer accepted it: the client and the socket it came on. */
export interface Holder {
  client: IClient;
  socket: WebSocket | null;
}

export interface PeerDirectory {
  /** Records a peer whose socket was accepted (again); returns the holder it replaces. */
  connected(client: IClient): Holder | undefined;
  /** Forgets a peer whose socket went away; true when it was the current holder of the id. */
  disconnected(client: IClient): boolean;
  /** The registration holding `id` right now. */
  holderOf(id: string): Holder | undefined;
  /** True when `id` is connected right now and `token` is its token. */
  verify(id: string, token: string): boolean;
  /** Every registration held right now. */
  holders(): IterableIterator<Holder>;
  readonly size: number;
}

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function createPeerDirectory(): PeerDirectory {
  const holders = new Map<string, Holder>();
  return {
    connected(client) {
      const previous = holders.get(client.getId());
      holders.set(client.getId(), { client, socket: client.getSocket() });
      return previous;
    },
    disconnected(client) {
      // A stale event for an id that a newer client now holds must not evict the newer one.
      if (holders.get(client.getId())?.client !== client) return false;
      holders.delete(client.getId());
      return true;
    },
    holderOf: (id) => holders.get(id),
    verify(id, token) {
      const client = holders.get(id)?.client;
      return (
        client !== undefined && client.getSocket() !== null && sameSecret(client.getToken(), token)
      );
    },
    holders: () => holders.values(),
    get size() {
      return holders.size;
    },
  };
}
