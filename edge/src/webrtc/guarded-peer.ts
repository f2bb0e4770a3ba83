/**
 * PeerJS's Peer with the signaling guard in front of its message handler: a message the
 * guard drops never reaches PeerJS, and a connection PeerJS lets go of frees its slot.
 * PeerJS has no hook for this, so the subclass overrides its internal `_handleMessage`
 * (present in the pinned 1.5.x; its absence is a clear error at start, not a silent bypass).
 */
import type { DataConnection, MediaConnection, Peer } from 'peerjs';
import type { SignalingGuard } from './signaling-guard.js';

interface PeerInternals {
  _handleMessage(message: unknown): void;
  _connections: Map<string, unknown[]>;
}

/** This PeerJS build does not have the internals the guard hooks into. */
export class UnguardablePeerError extends Error {
  override readonly name = 'PeerFetchUnguardablePeerError';
}

export function guardedPeerClass(Base: typeof Peer, guard: SignalingGuard): typeof Peer {
  const handleMessage = (Base.prototype as unknown as Partial<PeerInternals>)._handleMessage;
  if (typeof handleMessage !== 'function')
    throw new UnguardablePeerError('PeerJS has no _handleMessage to guard; use peerjs 1.5.x');

  return class GuardedPeer extends Base {
    _handleMessage(message: unknown): void {
      const admitted = guard.admit(message);
      if (admitted) handleMessage.call(this, admitted);
    }

    override _removeConnection(connection: DataConnection | MediaConnection): void {
      super._removeConnection(connection);
      guard.released(connection.peer, connection.connectionId);
      // PeerJS keeps an empty list for every id that ever connected; strangers are many.
      const connections = (this as unknown as PeerInternals)._connections;
      if (connections.get(connection.peer)?.length === 0) connections.delete(connection.peer);
    }
  };
}
