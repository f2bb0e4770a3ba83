import { readFileSync } from 'node:fs';

/** Busy and total jiffies of all CPUs since boot (steal counted as neither), from /proc/stat. */
export function cpuJiffies(): { busy: number; total: number } {
  const [, user, nice, system, idle, iowait, irq, softirq] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .map(Number);
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy, total: busy + idle! + iowait! };
}
