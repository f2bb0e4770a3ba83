/** What the bench client and the bench peer (`bench-peer.ts`) say to each other. */
import type { SendPolicy } from './raw-channel.js';

/** What a client asks for, in the connection's metadata. */
export interface PeerRequest {
  mode: 'raw' | 'binary' | 'peerfetch';
  /** Send policy of the raw and binary modes. */
  policy?: SendPolicy;
  /** PeerFetch tuning of this side (sweep). */
  session?: {
    maxFrameSize?: number;
    highWaterMark?: number;
    lowWaterMark?: number;
    window?: number;
  };
  /**
   * PeerFetch mode: also serve the edge's own handlers, its HTTP upstream route at `/up` and
   * its device API at `/edge`, in this lighter process (what the edge adds, without it).
   */
  edgeHandlers?: { upstreamUrl: string; mediaDir: string };
  /**
   * Raw mode: where the same-source baselines (`raw-proxy.ts`) read, the pattern upstream and
   * the file the edge's device API serves.
   */
  sources?: { upstreamUrl: string; mediaPath?: string };
  /**
   * Raw mode: also open a second, negotiated channel (`SECOND_CHANNEL`) on the same peer
   * connection and echo every message on it (lanes.ts: does a second SCTP stream skip the
   * queue of the first?).
   */
  secondChannel?: boolean;
}

/** The negotiated id and label of the raw mode's second channel. */
export const SECOND_CHANNEL = { id: 1000, label: 'bench-second' } as const;

/**
 * First byte of a raw-mode command; download and upload carry a float64 byte count after it.
 * `windowedDownload` is a download paced like PeerFetch's credit (float64 count, then float64
 * window: the sender never has more than the window unacknowledged); the receiver answers
 * with `credit` messages (float64 bytes) as it receives. The `upstream…` and `file…` commands
 * are the same-source baselines (`sources`): `upstreamDownload` sends the upstream's
 * `/bytes?n=count`, `fileDownload` the first `count` bytes of the media file,
 * `upstreamUpload` POSTs the next `count` bytes to the upstream and answers `uploaded` once it
 * has counted them, `upstreamEcho` (float64 `i`) answers with the upstream's `/small?i=i`.
 */
export const RawOp = {
  download: 1,
  echo: 2,
  upload: 3,
  uploaded: 4,
  windowedDownload: 5,
  credit: 6,
  upstreamDownload: 7,
  fileDownload: 8,
  upstreamUpload: 9,
  upstreamEcho: 10,
} as const;
