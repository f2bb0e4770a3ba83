/**
 * When the edge accepts a new client: a window with a one-time 6-digit code, open on first
 * start while nobody is paired and for a few minutes after `peerfetch-edge pair`. It closes
 * after a successful pairing, after {@link MAX_PAIRING_ATTEMPTS} attempts, or when it expires.
 * Asking to open it while it is open shows the same window (same code, expiry and attempts
 * left): a new code would hand a guesser fresh attempts.
 */
import { randomInt } from 'node:crypto';
import type { PairingWindow } from '@peerfetch/shared';

/** Attempts per window: an attacker's chance is 5 in 1,000,000 per window. */
export const MAX_PAIRING_ATTEMPTS = 5;

export interface OpenWindow {
  code: string;
  /** When it closes on its own, ms since the epoch. */
  expiresAt: number;
  attemptsLeft: number;
}

export type CloseReason = 'paired' | 'attempts used' | 'expired' | 'stopped';

export interface PairingWindowOptions {
  /** Stores a client that proved the code. */
  store(client: { id: string; name: string; key: Uint8Array }): Promise<void>;
  onOpen?(window: OpenWindow): void;
  onClose?(reason: CloseReason): void;
  /** Told of each attempt as it starts (1-based). */
  onAttempt?(clientId: string, attempt: number): void;
  /** Default {@link MAX_PAIRING_ATTEMPTS}. */
  maxAttempts?: number;
}

export interface EdgePairingWindow extends PairingWindow {
  /** Opens the window for `durationMs` (or returns the one already open). */
  open(durationMs: number): OpenWindow;
  /** The open window, if any. */
  current(): OpenWindow | undefined;
  close(reason: CloseReason): void;
}

/** A uniformly random 6-digit code from the OS's CSPRNG; leading zeros are kept. */
export function newPairingCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export function createPairingWindow(options: PairingWindowOptions): EdgePairingWindow {
  const maxAttempts = options.maxAttempts ?? MAX_PAIRING_ATTEMPTS;
  let state:
    | { code: string; expiresAt: number; attempts: number; timer: NodeJS.Timeout }
    | undefined;

  const view = (): OpenWindow | undefined =>
    state && {
      code: state.code,
      expiresAt: state.expiresAt,
      attemptsLeft: maxAttempts - state.attempts,
    };

  function close(reason: CloseReason) {
    if (!state) return;
    clearTimeout(state.timer);
    state = undefined;
    options.onClose?.(reason);
  }

  return {
    open(durationMs) {
      const already = view();
      if (already) return already;
      const expiresAt = Date.now() + durationMs;
      const timer = setTimeout(() => close('expired'), durationMs);
      timer.unref();
      state = { code: newPairingCode(), expiresAt, attempts: 0, timer };
      const opened = view()!;
      options.onOpen?.(opened);
      return opened;
    },
    current: view,
    close,
    beginAttempt(clientId) {
      if (!state || Date.now() >= state.expiresAt) return undefined;
      state.attempts++;
      const { code, attempts } = state;
      options.onAttempt?.(clientId, attempts);
      // The last attempt still runs to its end; nobody may start another.
      if (attempts >= maxAttempts) close('attempts used');
      return code;
    },
    async complete(client) {
      await options.store(client);
      close('paired');
    },
  };
}
