import { parseMediaPage } from './media';

export const MIB = 1024 * 1024;

export interface SpeedTestResult {
  /** What was downloaded, for people ("sunset.jpg, 3 times"). */
  source: string;
  bytes: number;
  seconds: number;
  mibPerSecond: number;
}

export interface SpeedTestOptions {
  /** How much to download, bytes. */
  bytes: number;
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  signal?: AbortSignal;
  /** Progress callback with bytes so far. */
  onProgress?: (bytes: number) => void;
  /**
   * Errors after which the download goes on with a new request, keeping the bytes so far
   * (the session ended under a read, and the device connection redials). Default: none.
   */
  resumeAfter?: (error: unknown) => boolean;
  now?: () => number;
}

/** How many lost reads one speed test resumes before it fails. */
const MAX_RESUMES = 3;

/**
 * Measures download speed from the device by reading its largest media file (as byte ranges,
 * again and again until `bytes` have arrived). The device API has no synthetic download
 * endpoint, so this measures the real path a photo or video takes.
 */
export async function runSpeedTest(options: SpeedTestOptions): Promise<SpeedTestResult> {
  const now = options.now ?? (() => performance.now());
  const listing = await options.fetch('/api/media?offset=0&limit=500', { signal: options.signal });
  if (!listing.ok) {
    await listing.body?.cancel();
    throw new Error(
      listing.status === 404
        ? 'The speed test downloads a media file, and this device has no media folder.'
        : `The device answered the media list with ${listing.status}.`,
    );
  }
  const largest = parseMediaPage(await listing.json()).items.reduce<
    { url: string; name: string; size: number } | undefined
  >((best, item) => (item.size > (best?.size ?? 0) ? item : best), undefined);
  if (!largest)
    throw new Error('The speed test downloads a media file, and the media folder is empty.');

  let received = 0;
  let rounds = 0;
  let resumes = 0;
  const started = now();
  while (received < options.bytes) {
    const want = Math.min(largest.size, options.bytes - received);
    try {
      const response = await options.fetch(largest.url, {
        headers: { range: `bytes=0-${want - 1}`, 'cache-control': 'no-store' },
        signal: options.signal,
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new Error(`The device answered ${response.status} while sending ${largest.name}.`);
      }
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        options.onProgress?.(received);
      }
      rounds += 1;
    } catch (error) {
      const resumable = options.resumeAfter?.(error) && !options.signal?.aborted;
      if (!resumable || resumes >= MAX_RESUMES) throw error;
      resumes += 1;
    }
  }
  const seconds = Math.max(1e-6, (now() - started) / 1000);
  return {
    source: rounds === 1 ? largest.name : `${largest.name}, ${rounds} times`,
    bytes: received,
    seconds,
    mibPerSecond: received / MIB / seconds,
  };
}
