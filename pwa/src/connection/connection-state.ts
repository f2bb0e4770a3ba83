import type { AuthFailureReason, PathKind } from '@peerfetch/shared';

/** A device connection's state: every one is shown to the user. */
export type ConnectionState =
  /** Not started yet. */
  | { kind: 'idle' }
  /**
   * Dialing the device and running the handshake. `unreachable` is why the last try failed,
   * when this is a retry: the device stays shown as offline until it answers.
   */
  | { kind: 'connecting'; attempt: number; unreachable?: string }
  /** The session is up. `rttMs` and `path` fill in shortly after. */
  | { kind: 'online'; since: number; rttMs?: number; path?: PathKind }
  /** Unreachable for now; retrying at `retryAt` (paused while the app is in the background). */
  | { kind: 'retrying'; attempt: number; retryAt: number; reason: string }
  /** The browser reported it went offline; retried when it is back (and by a fallback timer). */
  | { kind: 'offline'; reason: string }
  /**
   * The signaling server is out of reach, so the device cannot be dialled: the signaling
   * banner counts down to the next try, and its recovery dials the device.
   */
  | { kind: 'no-signaling'; reason: string }
  /**
   * Retrying cannot help; the user must act (the reason says how). `auth` is set when the
   * pairing or the device's proof failed (for example `device-not-verified`).
   */
  | { kind: 'failed'; reason: string; auth?: AuthFailureReason };

/** A short label and a tone for a state, at time `now` (for "retrying in N s"). */
export function describeState(
  state: ConnectionState,
  now: number,
): { label: string; detail: string; tone: 'ok' | 'busy' | 'bad' | 'idle' } {
  switch (state.kind) {
    case 'idle':
      return { label: 'Not connected', detail: '', tone: 'idle' };
    case 'connecting':
      if (state.unreachable !== undefined)
        return { label: 'Offline', detail: `${state.unreachable} Trying again…`, tone: 'bad' };
      return {
        label: 'Connecting…',
        detail: state.attempt > 1 ? `Attempt ${state.attempt}` : '',
        tone: 'busy',
      };
    case 'online':
      return {
        label: 'Online',
        detail: state.rttMs === undefined ? '' : `${formatRtt(state.rttMs)} round trip`,
        tone: 'ok',
      };
    case 'retrying': {
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      return { label: 'Offline', detail: `${state.reason} Retrying in ${seconds} s.`, tone: 'bad' };
    }
    case 'offline':
      return { label: 'Offline', detail: state.reason, tone: 'bad' };
    case 'no-signaling':
      return { label: 'Waiting', detail: state.reason, tone: 'idle' };
    case 'failed':
      return { label: failedLabel(state.auth), detail: state.reason, tone: 'bad' };
  }
}

export function formatRtt(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function failedLabel(auth: AuthFailureReason | undefined): string {
  if (auth === 'device-not-verified') return 'Not verified';
  if (auth === 'not-paired') return 'Not paired';
  return 'Failed';
}
