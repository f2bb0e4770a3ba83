/**
 * Why a peer connection found no path, in words a person can act on: which kinds of
 * candidate this side gathered, and what the STUN/TURN servers answered when they refused
 * (RTCPeerConnection's `icecandidateerror`: a TURN 401 is stale or wrong credentials).
 */
import type { StatsLike } from '@peerfetch/shared';

interface CandidateError {
  url?: string;
  errorCode?: number;
  errorText?: string;
}

interface PeerConnectionLike {
  addEventListener(type: 'icecandidateerror', listener: (event: CandidateError) => void): void;
  getStats(): Promise<StatsLike>;
  getConfiguration?(): { iceServers?: Array<{ urls: string | string[] }> };
  readonly remoteDescription?: unknown;
}

export interface IceDiagnosis {
  /** One sentence: why no path was found. */
  explain(): Promise<string>;
}

const isTurnUrl = (url: string) => /^turns?:/i.test(url);

/** Starts listening to `peerConnection`'s candidate errors; call as soon as it exists. */
export function diagnoseIce(peerConnection: unknown): IceDiagnosis {
  const pc = peerConnection as PeerConnectionLike;
  const errors: CandidateError[] = [];
  pc.addEventListener?.('icecandidateerror', (event) => errors.push(event));
  return {
    async explain() {
      // No answer to our offer: the device is registered (signaling relayed the offer) but
      // its process does not respond, which no network setting explains.
      if (pc.remoteDescription === null)
        return 'the device did not answer: it is registered but not responding (stopped, hung or overloaded)';
      const gathered = new Set<string>();
      try {
        (await pc.getStats()).forEach((entry) => {
          if (entry.type === 'local-candidate' && typeof entry.candidateType === 'string')
            gathered.add(entry.candidateType);
        });
      } catch {
        // a closed connection has no stats; say what the errors say
      }
      const urls = (pc.getConfiguration?.().iceServers ?? []).flatMap((s) =>
        Array.isArray(s.urls) ? s.urls : [s.urls],
      );
      const turnError = errors.find((e) => e.url && isTurnUrl(e.url) && e.errorCode);
      if (turnError) {
        return (
          `the TURN server refused this client (${turnError.errorCode} ${turnError.errorText ?? ''}`.trimEnd() +
          '), and no direct path worked'
        );
      }
      if (urls.some(isTurnUrl) && !gathered.has('relay')) {
        return 'the TURN server gave no relay address (unreachable, or it refused), and no direct path worked';
      }
      const kinds = [...gathered].sort().join(', ') || 'none';
      return `no network path to the device worked (candidates tried here: ${kinds})`;
    },
  };
}
