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
  openPeerFetch,
  openRaw,
  type RawClient,
  startBenchPeer,
} from './peer-client.js';

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
