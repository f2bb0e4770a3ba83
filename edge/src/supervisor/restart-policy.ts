/**
 * When the supervisor starts the serving process again after it died of a signal.
 *
 * A process that had started serving and then crashed (the @roamhq/wrtc SIGSEGV on an
 * abrupt close, docs/SECURITY.md) is restarted at once: every second it is down, paired
 * phones wait. A process that dies before it is ready will most likely die the same way
 * again, so those restarts back off instead of spinning.
 */
export interface RestartPolicyOptions {
  /** Delay after the first crash before ready, ms. Default 250. */
  firstDelayMs?: number;
  /** Longest delay between crashes before ready, ms. Default 10000. */
  maxDelayMs?: number;
}

export interface RestartPolicy {
  /** The delay before the next start, given whether the dead process had said it was ready. */
  delayAfterCrash(wasReady: boolean): number;
}

export function createRestartPolicy(options: RestartPolicyOptions = {}): RestartPolicy {
  const first = options.firstDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  let earlyCrashes = 0;
  return {
    delayAfterCrash(wasReady) {
      if (wasReady) {
        earlyCrashes = 0;
        return 0;
      }
      earlyCrashes++;
      return Math.min(max, first * 2 ** Math.min(earlyCrashes - 1, 30));
    },
  };
}
