/**
 * The stack edge tests and benchmarks run against: the built signaling server, the pattern
 * upstream (routed at `/up`), the built edge agent as a child process, and one client
 * paired with it for real (the code read from the edge's log).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeStateDir, type StartedEdge, startEdge } from './edge.js';
import {
  type ClientSession,
  type ConnectOptions,
  connectPaired,
  type PairedIdentity,
  pairClient,
  pairingWindowOf,
} from './pairing.js';
import { type PatternUpstream, startPatternUpstream } from './pattern-upstream.js';
import { type StartedSignaling, startSignaling, UNLIMITED_SIGNALING } from './signaling.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface EdgeStack {
  signaling: StartedSignaling;
  upstream: PatternUpstream;
  edge: StartedEdge;
  paired: PairedIdentity;
  /** The folder the edge's device API serves (`mediaFiles`), if any. */
  mediaDir: string | undefined;
  /**
   * A new authenticated session of the paired client (one at a time: they share its id;
   * `close()` resolves once the id may register again).
   */
  session(options?: Pick<ConnectOptions, 'sessionOptions'>): Promise<ClientSession>;
  stop(): Promise<void>;
}

/** Where the edge's device API keeps media file `name`, if the stack has media files. */
export function mediaFilePath(stack: EdgeStack, name: string | undefined): string | undefined {
  return name && stack.mediaDir ? join(stack.mediaDir, name) : undefined;
}

export interface EdgeStackOptions {
  /** Files (name → bytes) the edge's built-in device API serves at `/api/media/{name}`. */
  mediaFiles?: Record<string, Uint8Array>;
  /** More environment for the edge (MALLOC_ARENA_MAX, say). */
  edgeEnv?: Record<string, string>;
  /** Run the edge with its systemd unit's memory settings (see serviceEnvironment). Default true. */
  serviceSettings?: boolean;
  /** Run the edge under its supervisor, as shipped (the abrupt-close scenario). Default false. */
  supervised?: boolean;
}

/** Settings the systemd unit gives the edge that change how it runs (not where it keeps state). */
const SERVICE_SETTINGS = ['NODE_OPTIONS', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'];

/** The edge runs with its systemd unit's memory settings, so the bench measures it as shipped. */
export function serviceEnvironment(
  unitPath = join(here, '../../edge/systemd/peerfetch-edge.service'),
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(unitPath, 'utf8').split('\n')) {
    const match = /^Environment=([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match && SERVICE_SETTINGS.includes(match[1]!)) env[match[1]!] = match[2]!;
  }
  return env;
}

export async function startEdgeStack(options: EdgeStackOptions = {}): Promise<EdgeStack> {
  // The bench opens far more PeerJS sockets than one address may, and its stranger flood
  // plays a server that relays anything.
  const signaling = await startSignaling(UNLIMITED_SIGNALING);
  const upstream = await startPatternUpstream();
  const mediaDir = options.mediaFiles ? await writeMediaFolder(options.mediaFiles) : undefined;
  const removeMedia = () => (mediaDir ? rm(mediaDir, { recursive: true, force: true }) : undefined);
  let edge: StartedEdge | undefined;
  try {
    edge = await startEdge({
      signalingUrl: signaling.url,
      routes: { '/up': upstream.url },
      mediaDir,
      supervised: options.supervised,
      // The edge as shipped logs at info; debug lines per frame would be measured too.
      env: {
        PEERFETCH_LOG_LEVEL: 'info',
        PEERFETCH_MAX_REQUEST_BODY_BYTES: String(2 ** 30),
        ...(options.serviceSettings === false ? {} : serviceEnvironment()),
        ...options.edgeEnv,
      },
    });
    const { code } = await pairingWindowOf(edge);
    const paired = await pairClient(signaling.port, edge, code);
    const started = edge;
    return {
      signaling,
      upstream,
      edge: started,
      paired,
      mediaDir,
      session: (options) => connectPaired(signaling.port, started, paired, options),
      async stop() {
        await started.stop();
        await upstream.stop();
        await signaling.stop();
        await removeMedia();
        await removeStateDir(started.stateDir);
      },
    };
  } catch (error) {
    await edge?.stop();
    await upstream.stop();
    await signaling.stop();
    await removeMedia();
    throw error;
  }
}

async function writeMediaFolder(files: Record<string, Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-stack-media-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}
