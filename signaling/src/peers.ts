/**
 * The peers connected to the PeerServer right now, kept from its `connection` and
 * `disconnect` events, so HTTP routes can check that `{id, token}` is a live peer. A PeerJS
 * id belongs to whoever holds its socket; once the socket goes, the id is free again.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IClient } from 'peer';

export interface PeerDirectory {
  /** Records a peer whose socket was accepted (again). */
  connected(client: IClient): void;
  /** Forgets a peer whose socket went away; true when it was the current holder of the id. */
  disconnected(client: IClient): boolean;
  /** True when `id` is connected right now and `token` is its token. */
  verify(id: string, token: string): boolean;
  readonly size: number;
}

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function createPeerDirectory(): PeerDirectory {
  const clients = new Map<string, IClient>();
  return {
    connected(client) {
      clients.set(client.getId(), client);
    },
    disconnected(client) {
      // A stale event for an id that a newer client now holds must not evict the newer one.
      if (clients.get(client.getId()) !== client) return false;
      clients.delete(client.getId());
      return true;
    },
    verify(id, token) {
      const client = clients.get(id);
      return (
        client !== undefined && client.getSocket() !== null && sameSecret(client.getToken(), token)
      );
    },
    get size() {
      return clients.size;
    },
  };
}
