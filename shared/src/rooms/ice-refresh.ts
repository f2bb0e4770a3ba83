/**
 * Keeps a registered peer's ICE servers fresh. TURN credentials from `/ice` expire (the
 * signaling server's TURN_TTL); a peer that stays registered for longer than that would
 * have every later allocation refused by TURN (401), so it fetches `/ice` again at half
 * the remaining lifetime. A failed fetch keeps the current servers and tries again sooner.
 */
import type { IceServer, IceServersResult } from './types.js';

export interface IceRefreshOptions {
  /** `GET /ice` (the rooms API's `iceServers` with this peer's credentials). */
  fetch(): Promise<IceServersResult>;
  /** Puts the servers where new peer connections read them. */
  apply(iceServers: IceServer[]): void;
  /** Told of a failed fetch and when the next try is; the current servers stay. */
  onError?(error: unknown, retryInMs: number): void;
  now?: () => number;
}

export interface IceRefresh {
  /** The first fetch; resolves with its servers ([] when it failed: host candidates still work). */
  readonly ready: Promise<IceServer[]>;
  stop(): void;
}

/** Never fetch more often than this, whatever the lifetime says. */
export const MIN_ICE_REFRESH_MS = 5_000;
/** After a failed fetch, try again after this long (or sooner if the credentials expire). */
export const ICE_RETRY_MS = 30_000;

/** When to fetch again: halfway to the expiry, never sooner than {@link MIN_ICE_REFRESH_MS}. */
export function iceRefreshDelayMs(expiresAt: number, nowMs: number): number {
  return Math.max(MIN_ICE_REFRESH_MS, Math.floor((expiresAt - nowMs) / 2));
}

export function keepIceServersFresh(options: IceRefreshOptions): IceRefresh {
  const now = options.now ?? Date.now;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expiresAt: number | undefined;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => void refresh(), delayMs);
  };

  async function refresh(): Promise<IceServer[]> {
    try {
      const result = await options.fetch();
      if (stopped) return result.iceServers;
      options.apply(result.iceServers);
      expiresAt = result.expiresAt;
      if (expiresAt !== undefined) schedule(iceRefreshDelayMs(expiresAt, now()));
      return result.iceServers;
    } catch (error) {
      const left = expiresAt === undefined ? ICE_RETRY_MS : iceRefreshDelayMs(expiresAt, now());
      const retryInMs = Math.min(ICE_RETRY_MS, left);
      options.onError?.(error, retryInMs);
      schedule(retryInMs);
      return [];
    }
  }

  return {
    ready: refresh(),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
