/**
 * The clients the diagnostic scripts compare side by side over one edge stack: a paired
 * session to the edge, and, from one Node peer, the raw DataChannel (with the session's
 * frame size and water marks) and PeerFetch served by the bench peer (the shared session
 * code without the edge; with the edge's handlers too when the stack has a media folder).
 */
import type { ClientSession } from '../helpers/pairing.js';
import { createNodePeer, type Peer } from '../helpers/peerjs-node.js';
import { type EdgeStack, mediaFilePath } from './edge-stack.js';
import { policyOf } from './node-throughput.js';
import {
  type BenchPeer,
  type DirectPeerFetch,
  drain,
  openPeerFetch,
  openRaw,
  type RawClient,
  startBenchPeer,
} from './peer-client.js';

/** A `fetch` of any of the clients compared: the edge's session, `direct`, or plain HTTP. */
export type BenchFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** GETs `path` to its end and checks it was `bytes` long; resolves with the ms it took. */
export async function timedDownload(
  fetch: BenchFetch,
  path: string,
  bytes: number,
): Promise<number> {
  const started = performance.now();
  const received = await drain(await fetch(path));
  if (received !== bytes) throw new Error(`${path}: ${received} of ${bytes} bytes`);
  return performance.now() - started;
}

/**
 * POSTs `body` to `path`, whose receiver answers with the count it got (`{ bytes }`), and
 * checks the count; resolves with the ms it took.
 */
export async function timedUpload(fetch: BenchFetch, path: string, body: Blob): Promise<number> {
  const started = performance.now();
  const answer = await fetch(path, { method: 'POST', body });
  const { bytes: counted } = (await answer.json()) as { bytes: number };
  if (counted !== body.size)
    throw new Error(`${path}: the receiver got ${counted} of ${body.size}`);
  return performance.now() - started;
}

export interface Comparison {
  benchPeer: BenchPeer;
  /** The Node peer `raw` and `direct` run on; more clients to the bench peer can use it. */
  peer: Peer;
  session: ClientSession;
  raw: RawClient;
  direct: DirectPeerFetch;
  /** Closes everything above (not the stack). */
  close(): Promise<void>;
}

/** `rawFile`: a file in the stack's media folder that `raw.fileDownload` sends. */
export async function openComparison(
  stack: EdgeStack,
  options: { rawFile?: string } = {},
): Promise<Comparison> {
  const benchPeer = await startBenchPeer(stack.signaling.port);
  const { peer } = await createNodePeer({ port: stack.signaling.port }).catch(async (error) => {
    await benchPeer.stop();
    throw error;
  });
  const stopPeers = async () => {
    peer.destroy();
    await benchPeer.stop();
  };
  try {
    const session = await stack.session();
    // Both bench-peer clients can also reach the stack's upstream (`/up/…` on `direct`).
    const upstreamUrl = stack.upstream.url;
    const mediaPath = mediaFilePath(stack, options.rawFile);
    const raw = await openRaw(peer, benchPeer.id, policyOf(session), {
      sources: { upstreamUrl, ...(mediaPath ? { mediaPath } : {}) },
    });
    const direct = await openPeerFetch(
      peer,
      benchPeer.id,
      {},
      {},
      stack.mediaDir ? { upstreamUrl, mediaDir: stack.mediaDir } : undefined,
    );
    return {
      benchPeer,
      peer,
      session,
      raw,
      direct,
      async close() {
        raw.close();
        direct.close();
        await session.close();
        await stopPeers();
      },
    };
  } catch (error) {
    await stopPeers();
    throw error;
  }
}
