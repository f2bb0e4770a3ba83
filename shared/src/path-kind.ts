/** How the bytes travel: direct on the LAN, through a STUN-opened NAT mapping, or relayed by TURN. */
export type PathKind = 'direct' | 'stun' | 'relay';

/** The slice of an RTCStatsReport entry this module reads. */
interface StatsEntry {
  type: string;
  id: string;
  [field: string]: unknown;
}

/** Anything iterable like RTCStatsReport (a Map of id -> stats in tests). */
export interface StatsLike {
  forEach(callback: (value: StatsEntry) => void): void;
}

/** The selected ICE candidate pair and every entry by id, or undefined before selection. */
function selectedPair(
  report: StatsLike,
): { pair: StatsEntry; byId: Map<string, StatsEntry> } | undefined {
  const byId = new Map<string, StatsEntry>();
  let selectedPairId: string | undefined;
  report.forEach((entry) => {
    byId.set(entry.id, entry);
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string') {
      selectedPairId = entry.selectedCandidatePairId;
    }
  });
  let pair = selectedPairId ? byId.get(selectedPairId) : undefined;
  if (!pair) {
    // Firefox has no transport stats; it marks the pair itself.
    for (const entry of byId.values()) {
      if (
        entry.type === 'candidate-pair' &&
        (entry.selected === true || (entry.nominated === true && entry.state === 'succeeded'))
      ) {
        pair = entry;
        break;
      }
    }
  }
  return pair ? { pair, byId } : undefined;
}

/** The path kind and the ICE round-trip time (ms) of the selected pair, where known. */
export function readPathStats(report: StatsLike): { path?: PathKind; rttMs?: number } {
  const rtt = selectedPair(report)?.pair.currentRoundTripTime;
  return {
    path: pathKindFromStats(report),
    rttMs: typeof rtt === 'number' && Number.isFinite(rtt) ? rtt * 1000 : undefined,
  };
}

/**
 * The kind of path of the selected ICE candidate pair, or undefined before one is selected.
 * Relay on either end means TURN; a server-reflexive candidate means STUN.
 */
export function pathKindFromStats(report: StatsLike): PathKind | undefined {
  const selected = selectedPair(report);
  if (!selected) return undefined;
  const { pair, byId } = selected;
  const candidates = [pair.localCandidateId, pair.remoteCandidateId].map((id) =>
    typeof id === 'string' ? byId.get(id) : undefined,
  );
  if (candidates.some((c) => typeof c?.candidateType !== 'string')) return undefined;
  const kinds = candidates.map((c) => c!.candidateType);
  if (kinds.includes('relay')) return 'relay';
  if (kinds.includes('srflx')) return 'stun';
  // A peer-reflexive candidate is learnt from a connectivity check. On a LAN that happens
  // whenever the check outruns the trickled host candidate, so a private address means direct.
  const prflx = candidates.filter((c) => c!.candidateType === 'prflx');
  if (prflx.some((c) => !isLocalAddress(c!.address ?? c!.ip))) return 'stun';
  return 'direct';
}

/** Loopback, private (RFC 1918, ULA), link-local, or an mDNS name: an address on this network. */
export function isLocalAddress(address: unknown): boolean {
  if (typeof address !== 'string' || address === '') return false;
  const a = address.toLowerCase();
  if (a.endsWith('.local')) return true;
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(a);
  if (v4) {
    const [first, second] = [Number(v4[1]), Number(v4[2])];
    return (
      first === 10 ||
      first === 127 ||
      (first === 172 && second >= 16 && second <= 31) ||
      (first === 192 && second === 168) ||
      (first === 169 && second === 254)
    );
  }
  return a === '::1' || /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a);
}

/** Words for a path kind, for people. */
export function describePathKind(kind: PathKind | undefined): string {
  switch (kind) {
    case 'direct':
      return 'Direct on your network';
    case 'stun':
      return 'Peer-to-peer across the internet';
    case 'relay':
      return 'Relayed by TURN';
    default:
      return 'Finding the best path…';
  }
}
