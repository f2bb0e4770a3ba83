/** Small statistics for benchmark samples. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Spread as (max - min) / median, so noisy runs show up in the report. */
export function spread(values: number[]): number {
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m;
}

export interface Summary {
  median: number;
  /** (max - min) / median. */
  spread: number;
  min: number;
  max: number;
  samples: number[];
}

export function summarize(values: number[]): Summary {
  return {
    median: median(values),
    spread: spread(values),
    min: Math.min(...values),
    max: Math.max(...values),
    samples: values.map((v) => Math.round(v * 1000) / 1000),
  };
}

export const MiB = 1024 * 1024;

/** MiB/s of `bytes` moved in `ms`. */
export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}
