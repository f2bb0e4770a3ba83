/**
 * The path a connection's bytes take (direct on the network, peer-to-peer through NATs, or
 * relayed by TURN), read from its selected ICE candidate pair, as the PWA reads it.
 */
import { type PathKind, readPathStats, type StatsLike } from '@peerfetch/shared';

export interface ConnectionPath {
  path?: PathKind;
  /** The ICE round-trip time of the selected pair, ms. */
  rttMs?: number;
}

/** The path of `peerConnection`, or {} when it has none yet or its stats cannot be read. */
export async function pathOf(peerConnection: unknown): Promise<ConnectionPath> {
  const pc = peerConnection as { getStats?: () => Promise<StatsLike> } | undefined;
  if (typeof pc?.getStats !== 'function') return {};
  try {
    return readPathStats(await pc.getStats());
  } catch {
    return {}; // a closed connection has no stats; the path is then unknown, not an error
  }
}
