/** The abrupt-close scenario's row (the trials themselves are test support: the integration test runs them too). */
import {
  type AbruptCloseResult,
  RECOVERY_TARGET_MS,
} from '@peerfetch/test/helpers/abrupt-closes.js';
import { percentile } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

/** The `npm run bench` row: deaths, crashes and recovery against their targets. */
export function abruptCloseRow(r: AbruptCloseResult): TargetRow {
  const registered = r.recoveries.map((x) => x.registeredMs);
  const slowest = registered.length ? Math.max(...registered) : 0;
  return {
    scenario: `${r.trials} closes mid-download without GOAWAY (${r.abrupt} verified abrupt)`,
    subject: `${r.deaths} edge deaths; ${r.crashes} serving-process crashes, restarted`,
    baseline: 'before (one process, no send fence): 16–25 % of closes killed the edge',
    figure: registered.length
      ? `serving again after p50 ${fmt(percentile(registered, 50), 0)} ms, max ${fmt(slowest, 0)} ms`
      : 'no crash this run',
    target: `0 deaths; serving again < ${RECOVERY_TARGET_MS} ms`,
    met: r.deaths === 0 && slowest < RECOVERY_TARGET_MS,
  };
}
