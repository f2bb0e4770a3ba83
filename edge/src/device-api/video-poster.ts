/**
 * Poster frames of videos, made by `ffmpeg` (and `ffprobe` for the length) when they are on
 * PATH: one frame at 10 % of the video (1 s when its length is unknown), scaled to the
 * width asked for, as PNG for sharp to encode like any thumbnail. Each run is bounded in
 * time and output, and killed when it overruns.
 */
import { spawn } from 'node:child_process';
import pLimit from 'p-limit';

/** Longest an ffprobe or ffmpeg run may take: a Pi decodes one frame of 4K in a few seconds. */
export const POSTER_TIMEOUT_MS = 20_000;

/** Largest output read from either tool: a 1024-pixel-wide PNG frame is well under this. */
export const POSTER_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Where in the video the frame is taken, as a share of its length. */
const POSTER_POSITION = 0.1;

/** The frame time when the length is unknown: past the black first frame of most clips. */
const POSTER_FALLBACK_SECONDS = 1;

/**
 * Poster frames made at once: a grid of fifty videos would otherwise start fifty decoders
 * on a Pi's four cores. Later ones wait their turn.
 */
export const POSTER_CONCURRENCY = 2;

/** Why no poster frame could be made; `reason` is what the placeholder reports. */
export class PosterError extends Error {
  override readonly name = 'PeerFetchPosterError';
  constructor(
    readonly reason: 'ffmpeg-missing' | 'ffmpeg-failed',
    message: string,
  ) {
    super(message);
  }
}

/** Runs `command` to its end, returning its stdout; bounded by POSTER_TIMEOUT_MS and size. */
function run(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: PosterError | undefined;
    const stop = (error: PosterError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => stop(new PosterError('ffmpeg-failed', `${command} took over ${POSTER_TIMEOUT_MS} ms`)),
      POSTER_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > POSTER_MAX_OUTPUT_BYTES) {
        stop(
          new PosterError(
            'ffmpeg-failed',
            `${command} wrote over ${POSTER_MAX_OUTPUT_BYTES} bytes`,
          ),
        );
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new PosterError('ffmpeg-missing', `${command} is not installed (not on PATH)`)
          : new PosterError('ffmpeg-failed', `${command} could not start: ${error.message}`),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else if (code !== 0) {
        const said = stderr.trim().split('\n').pop() ?? '';
        reject(new PosterError('ffmpeg-failed', `${command} exited with ${code}: ${said}`));
      } else resolve(Buffer.concat(out));
    });
  });
}

/** The video's length in seconds, or undefined when ffprobe cannot tell. */
async function durationOf(path: string): Promise<number | undefined> {
  const out = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'default=noprint_wrappers=1:nokey=1',
    '--',
    path,
  ]);
  const seconds = Number.parseFloat(out.toString());
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** ffmpeg's arguments for one PNG frame at `at` seconds (undefined: the first), `width` wide. */
function frameArgs(path: string, at: number | undefined, width: number): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    // Seeking before the input is fast (by key frame).
    ...(at === undefined ? [] : ['-ss', at.toFixed(3)]),
    '-i',
    // A path starting with `-` would read as an option; `file:` also stops protocol parsing.
    `file:${path}`,
    '-frames:v',
    '1',
    '-vf',
    `scale='min(${width},iw)':-2`,
    '-f',
    'image2pipe',
    '-c:v',
    'png',
    'pipe:1',
  ];
}

/** Makes one frame of the video at `path` as PNG, at most `width` pixels wide. */
export type PosterFrames = (path: string, width: number) => Promise<Buffer>;

/** Poster frames, at most `concurrency` made at once. */
export function createPosterFrames(concurrency = POSTER_CONCURRENCY): PosterFrames {
  const inTurn = pLimit(concurrency);
  return (path, width) => inTurn(() => posterFrame(path, width));
}

async function posterFrame(path: string, width: number): Promise<Buffer> {
  const duration = await durationOf(path);
  const at = duration === undefined ? POSTER_FALLBACK_SECONDS : duration * POSTER_POSITION;
  let frame = await run('ffmpeg', frameArgs(path, at, width));
  // A clip shorter than the fallback time has no frame there: take its first one.
  if (frame.length === 0) frame = await run('ffmpeg', frameArgs(path, undefined, width));
  if (frame.length === 0) throw new PosterError('ffmpeg-failed', 'ffmpeg found no frame to show');
  return frame;
}
