import prettyBytes from 'pretty-bytes';

/** Human-readable formats shared by the screens. */

/**
 * Sizes by pretty-bytes in binary units (KiB, MiB: what the speed test and the device's disk
 * are measured in; Intl.NumberFormat knows only decimal byte units), with one decimal past
 * a KiB so a figure keeps its width while it counts. In the reader's locale.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const digits = bytes < 1024 ? 0 : 1;
  return prettyBytes(bytes, {
    binary: true,
    locale: true,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const DURATION_UNITS = [
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
] as const;

/**
 * "3 days 4 hr", "5 hr 12 min", "3 min", "42 sec": the largest unit and, past an hour, the
 * next one down, in the reader's language (Intl.NumberFormat's units: dependency-free, and
 * Intl.DurationFormat is still missing from many phones).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.floor(seconds);
  const index = DURATION_UNITS.findIndex(([, size]) => total >= size);
  const [unit, size] = DURATION_UNITS[index === -1 ? 3 : index]!;
  const parts = [unitFormat(unit).format(Math.floor(total / size))];
  const next = DURATION_UNITS[index + 1];
  if (size >= 3600 && next) {
    const count = Math.floor((total % size) / next[1]);
    if (count > 0) parts.push(unitFormat(next[0]).format(count));
  }
  return parts.join(' ');
}

function unitFormat(unit: string): Intl.NumberFormat {
  return new Intl.NumberFormat(undefined, { style: 'unit', unit, unitDisplay: 'short' });
}

/** A date relative to now when recent, else a short date. */
export function formatWhen(iso: string, now: number = Date.now()): string {
  const time = Date.parse(iso);
  if (!Number.isFinite(time)) return '';
  const ago = (now - time) / 1000;
  // A clock that ticks once a second may lag the event slightly: that is still now.
  if (ago > -60 && ago < 10) return 'just now';
  if (ago >= 0 && ago < 60) return `${Math.floor(ago)} s ago`;
  if (ago >= 0 && ago < 3600) return `${Math.floor(ago / 60)} min ago`;
  if (ago >= 0 && ago < 86_400) return `${Math.floor(ago / 3600)} h ago`;
  return new Date(time).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
}

/** The message of anything thrown, for people. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
