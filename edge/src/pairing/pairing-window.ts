/**
 * When the edge accepts a new client: a window with a one-time 6-digit code, open on first
 * start while nobody is paired and for a few minutes after `peerfetch-edge pair`. It closes
 * after a successful pairing, after {@link MAX_PAIRING_ATTEMPTS} attempts, or when it expires.
 * Asking to open it while it is open shows the same window (same code, expiry and attempts
 * left): a new code would hand a guesser fresh attempts. For the same reason the window is
 * kept on disk (window-store.ts) and a restart reopens it as it was; each change reaches the
 * disk before it takes effect, so memory never holds a window or an attempt the disk lacks.
 */
import { randomInt } from 'node:crypto';
import { AuthenticationError, type PairingWindow } from '@peerfetch/shared';
import { type ClientPacer, createClientPacer } from './client-pacer.js';
import type { WindowRecord, WindowStore } from './window-store.js';

/** Attempts per window: an attacker's chance is 5 in 1,000,000 per window. */
export const MAX_PAIRING_ATTEMPTS = 5;

/**
 * A stored window that claims to last longer than this is not believed (the configured
 * maximum is 60 minutes): a clock set back at boot must not stretch a window.
 */
export const LONGEST_WINDOW_MS = 60 * 60_000;

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
  /** Where the window lives across restarts. */
  windowStore: WindowStore;
  /** A window opened now, or reopened as a previous run left it. */
  onOpen?(window: OpenWindow, how: 'opened' | 'restored'): void;
  onClose?(reason: CloseReason): void;
  /** Told of each attempt as it starts (1-based). */
  onAttempt?(clientId: string, attempt: number): void;
  /** Told of an attempt refused, uncounted, because its client tried too recently. */
  onPaced?(clientId: string, waitMs: number): void;
  /** Told when a closed window could not be removed from disk, or a corrupt one was found. */
  onStateProblem?(problem: string): void;
  /** Default {@link MAX_PAIRING_ATTEMPTS}. */
  maxAttempts?: number;
  /** Paces each client's attempts; default one per CLIENT_ATTEMPT_INTERVAL_MS. */
  pacer?: ClientPacer;
}

export interface EdgePairingWindow extends PairingWindow {
  /** Reopens the window a previous run left open; call once, before anything else. */
  restore(): Promise<OpenWindow | undefined>;
  /** Opens the window for `durationMs` (or returns the one already open). */
  open(durationMs: number): Promise<OpenWindow>;
  /**
   * Opens the window unless one is open, or one whose attempts are used has not expired yet
   * (a restart must not hand out fresh attempts). For the first start.
   */
  openUnlessSpent(durationMs: number): Promise<OpenWindow | undefined>;
  /** The open window, if any. */
  current(): OpenWindow | undefined;
  /** Closes the window; on `stopped` it stays on disk, to be restored by the next start. */
  close(reason: CloseReason): void;
  beginAttempt(clientId: string): Promise<string | undefined>;
}

/** A uniformly random 6-digit code from the OS's CSPRNG; leading zeros are kept. */
export function newPairingCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export function createPairingWindow(options: PairingWindowOptions): EdgePairingWindow {
  const maxAttempts = options.maxAttempts ?? MAX_PAIRING_ATTEMPTS;
  const pacer = options.pacer ?? createClientPacer();
  const disk = options.windowStore;
  /** The window as it is on disk: open, or spent (attempts used) until it expires. */
  let record: WindowRecord | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Changes run one at a time, so two attempts never both take the last one.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(change: () => Promise<T>): Promise<T> => {
    const result = queue.then(change);
    queue = result.catch(() => {});
    return result;
  };

  const isOpen = (r: WindowRecord | undefined): r is WindowRecord =>
    r !== undefined && r.attempts < maxAttempts && Date.now() < r.expiresAt;
  const view = (r: WindowRecord): OpenWindow => ({
    code: r.code,
    expiresAt: r.expiresAt,
    attemptsLeft: Math.max(0, maxAttempts - r.attempts),
  });
  const current = () => (isOpen(record) ? view(record) : undefined);

  /** Forgets the window in memory, then on disk; a failed removal is reported, not thrown. */
  function forget(): Promise<void> {
    clearTimeout(timer);
    record = undefined;
    return disk.remove().catch((error: Error) => options.onStateProblem?.(error.message));
  }

  function adopt(next: WindowRecord) {
    clearTimeout(timer);
    record = next;
    timer = setTimeout(
      () => {
        // Attempts replace the record; the window is the same while its code and expiry are.
        if (record?.code !== next.code || record.expiresAt !== next.expiresAt) return;
        const wasOpen = record.attempts < maxAttempts;
        void forget();
        if (wasOpen) options.onClose?.('expired');
      },
      Math.max(0, next.expiresAt - Date.now()),
    );
    timer.unref();
  }

  async function open(durationMs: number): Promise<OpenWindow> {
    const already = current();
    if (already) return already;
    const fresh = { code: newPairingCode(), expiresAt: Date.now() + durationMs, attempts: 0 };
    await disk.save(fresh); // throws PairingWindowStateError: then nothing has changed
    adopt(fresh);
    const opened = view(fresh);
    options.onOpen?.(opened, 'opened');
    return opened;
  }

  return {
    restore: () =>
      serial(async () => {
        const stored = await disk.load((detail) =>
          options.onStateProblem?.(`${disk.path} was not a pairing window (${detail})`),
        );
        if (!stored) return undefined;
        const left = stored.expiresAt - Date.now();
        if (left <= 0 || left > LONGEST_WINDOW_MS) {
          await forget();
          return undefined;
        }
        adopt(stored);
        const reopened = current();
        if (reopened) options.onOpen?.(reopened, 'restored');
        return reopened;
      }),
    open: (durationMs) => serial(() => open(durationMs)),
    openUnlessSpent: (durationMs) => serial(async () => (record ? current() : open(durationMs))),
    current,
    close(reason) {
      const wasOpen = isOpen(record);
      if (reason === 'stopped') {
        clearTimeout(timer);
        record = undefined;
      } else void forget();
      if (wasOpen) options.onClose?.(reason);
    },
    beginAttempt: (clientId) =>
      serial(async () => {
        const before = record;
        if (!isOpen(before)) return undefined;
        const waitMs = pacer.waitFor(clientId);
        if (waitMs > 0) {
          options.onPaced?.(clientId, waitMs);
          throw new AuthenticationError(
            'failed',
            `client ${clientId} tried to pair moments ago; it may try again in ${Math.ceil(waitMs / 1000)} s`,
          );
        }
        const next = { ...before, attempts: before.attempts + 1 };
        // Counted on disk before the code is used: a restart cannot give the attempt back.
        await disk.save(next);
        if (record !== before) return undefined; // closed while saving
        record = next;
        pacer.note(clientId);
        options.onAttempt?.(clientId, next.attempts);
        // The last attempt still runs to its end; nobody may start another.
        if (next.attempts >= maxAttempts) options.onClose?.('attempts used');
        return next.code;
      }),
    async complete(client) {
      await options.store(client);
      await serial(async () => {
        const wasOpen = isOpen(record);
        await forget();
        if (wasOpen) options.onClose?.('paired');
      });
    },
  };
}
