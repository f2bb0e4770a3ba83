/**
 * The path a peer connection really uses, from its own statistics: the selected candidate
 * pair's two candidates (RTCStatsReport, `transport.selectedCandidatePairId`).
 */

export interface IceCandidateInfo {
  /** host, srflx (seen by STUN), prflx (learned from a peer's check) or relay (TURN). */
  candidateType: string;
  address: string;
  port: number;
  protocol: string;
}

export interface IcePath {
  local: IceCandidateInfo;
  remote: IceCandidateInfo;
  /** Bytes this side sent and received on the selected pair. */
  bytesSent: number;
  bytesReceived: number;
  /** Every pair ICE tried, "local -> remote: state", for messages when a path surprises. */
  tried: string[];
}

/** What kind of path it is, as the issue names them. */
export type PathKind = 'direct on the network' | 'peer-to-peer across NATs' | 'relayed by TURN';

type Stats = Record<string, unknown>;

function candidate(stats: Stats | undefined): IceCandidateInfo {
  if (!stats) throw new Error('the selected pair names a candidate the report lacks');
  return {
    candidateType: String(stats.candidateType),
    address: String(stats.address ?? stats.ip),
    port: Number(stats.port),
    protocol: String(stats.protocol),
  };
}

/** The selected candidate pair of `pc`; rejects when it has none (ICE not connected). */
export async function selectedIcePath(pc: RTCPeerConnection | undefined): Promise<IcePath> {
  if (!pc) throw new Error('no peer connection was made');
  const report = (await pc.getStats()) as unknown as Map<string, Stats>;
  const all = [...report.values()];
  const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = transport
    ? report.get(String(transport.selectedCandidatePairId))
    : all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
  if (!pair) throw new Error(`no selected candidate pair (ICE state ${pc.iceConnectionState})`);
  const describe = (id: unknown) => {
    const c = report.get(String(id));
    return c ? `${c.candidateType} ${c.address ?? c.ip}:${c.port}` : String(id);
  };
  const tried = all
    .filter((s) => s.type === 'candidate-pair')
    .map((s) => `${describe(s.localCandidateId)} -> ${describe(s.remoteCandidateId)}: ${s.state}`);
  return {
    tried,
    local: candidate(report.get(String(pair.localCandidateId))),
    remote: candidate(report.get(String(pair.remoteCandidateId))),
    bytesSent: Number(pair.bytesSent ?? 0),
    bytesReceived: Number(pair.bytesReceived ?? 0),
  };
}

/** Relayed when either end is a TURN relay; direct when both are host candidates. */
export function pathKind(path: IcePath): PathKind {
  const types = [path.local.candidateType, path.remote.candidateType];
  if (types.includes('relay')) return 'relayed by TURN';
  if (types.every((t) => t === 'host')) return 'direct on the network';
  return 'peer-to-peer across NATs';
}

/** "relay 203.0.113.10:50000 -> srflx 198.51.100.10:40000", for logs. */
export function describePath(path: IcePath): string {
  const end = (c: IceCandidateInfo) => `${c.candidateType} ${c.address}:${c.port}`;
  return `${pathKind(path)}: ${end(path.local)} -> ${end(path.remote)}`;
}
