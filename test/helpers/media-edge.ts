/**
 * An edge serving a media folder, paired with the `peerfetch` CLI: the harness of the
 * upload and video thumbnail tests, which drive the device API over real WebRTC.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CliResult,
  type EdgeOptions,
  removeStateDir,
  runClientCli,
  type StartedEdge,
  startClientCli,
  startEdge,
} from './edge.js';
import { type ClientSession, pairCli, pairedSession, pairingWindowOf } from './pairing.js';
import { type StartedSignaling, startSignaling } from './signaling.js';

export interface MediaEdge {
  edge: StartedEdge;
  /** `peerfetch fetch --device <edge> ...args`, run to the end. */
  fetch(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** The same, started: for a client killed mid-request. */
  startFetch(args: string[], timeoutMs?: number): ReturnType<typeof startClientCli>;
  stop(): Promise<void>;
}

/** Starts an edge on `mediaDir` and pairs a fresh CLI config with it. */
export async function startMediaEdge(
  signalingUrl: string,
  mediaDir: string,
  options: Pick<EdgeOptions, 'env' | 'node'> = {},
): Promise<MediaEdge> {
  const edge = await startEdge({ signalingUrl, mediaDir, ...options });
  const configHome = await mkdtemp(join(tmpdir(), 'pf-media-client-'));
  const paired = await pairCli(signalingUrl, edge, configHome, (await pairingWindowOf(edge)).code);
  if (paired.code !== 0) throw new Error(`pairing failed: ${paired.stderr}`);
  const fetchArgs = (args: string[]) => ['fetch', '--device', edge.peerId, ...args];
  return {
    edge,
    fetch: (args, timeoutMs) => runClientCli(fetchArgs(args), { configHome, timeoutMs }),
    startFetch: (args, timeoutMs) => startClientCli(fetchArgs(args), { configHome, timeoutMs }),
    async stop() {
      await edge.stop();
      await removeStateDir(edge.stateDir);
      await rm(configHome, { recursive: true, force: true });
    },
  };
}

export interface MediaStack {
  signaling: StartedSignaling;
  media: MediaEdge;
  /** An in-process client session of another paired identity: for bodies the CLI cannot send. */
  client: ClientSession;
  stop(): Promise<void>;
}

/** A signaling server, a media edge on `mediaDir` paired with the CLI, and a client session. */
export async function startMediaStack(
  mediaDir: string,
  options: Pick<EdgeOptions, 'env' | 'node'> = {},
): Promise<MediaStack> {
  const signaling = await startSignaling();
  const media = await startMediaEdge(signaling.url, mediaDir, options);
  const client = await pairedSession(signaling.port, media.edge);
  return {
    signaling,
    media,
    client,
    async stop() {
      await client.close();
      await media.stop();
      await signaling.stop();
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Splits what `peerfetch fetch -i` printed into status, header fields and body. */
export function parseAnswer(output: Buffer): HttpAnswer {
  const split = output.indexOf('\r\n\r\n');
  if (split < 0)
    throw new Error(`no HTTP head in ${JSON.stringify(output.toString().slice(0, 200))}`);
  const [statusLine, ...lines] = output.subarray(0, split).toString().split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers, body: output.subarray(split + 4) };
}

/** Fetches with `-i` and parses the answer; fails loudly when the CLI itself failed. */
export async function fetchAnswer(media: MediaEdge, args: string[], timeoutMs?: number) {
  const result = await media.fetch(['-i', ...args], timeoutMs);
  if (result.stdout.length === 0) {
    throw new Error(
      `peerfetch fetch ${args.join(' ')} printed nothing (${result.code}): ${result.stderr}`,
    );
  }
  return parseAnswer(result.stdout);
}

/**
 * A request body of `size` bytes (at least) with no declared length, made as it is read in
 * chunks of `chunkBytes`; `sent()` says how many bytes the reader has taken so far.
 */
export function unsizedBody(size: number, chunkBytes = 64 * 1024) {
  let sent = 0;
  const chunk = new Uint8Array(chunkBytes).fill(1);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      controller.enqueue(chunk);
      sent += chunkBytes;
    },
  });
  return { init: { body, duplex: 'half' } as RequestInit, sent: () => sent };
}
