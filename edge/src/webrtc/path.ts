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

/** How often an open connection's path is read again, to tell when it changes. */
export const PATH_CHECK_INTERVAL_MS = 10_000;

/** Calls `onChange` each time the path differs from the last one seen, until `closed`. */
export function followPath(
  peerConnection: unknown,
  first: ConnectionPath,
  closed: Promise<unknown>,
  onChange: (change: ConnectionPath & { was?: PathKind }) => void,
): void {
  let last = first.path;
  const timer = setInterval(async () => {
    const now = await pathOf(peerConnection);
    if (now.path && now.path !== last) onChange({ ...now, was: last });
    last = now.path ?? last;
  }, PATH_CHECK_INTERVAL_MS);
  timer.unref?.();
  void closed.then(() => clearInterval(timer));
}
