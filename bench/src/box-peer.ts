/**
 * A stock PeerJS peer (on @roamhq/wrtc) registered with the signaling server of the internet in
 * a box (test/helpers/internet), with the ICE servers that server's `/ice` gives this peer:
 * STUN, and TURN with credentials of its own, as the edge and the phone's client take them.
 */
import { createRoomsApi } from '@peerfetch/shared';
import { createNodePeer, type Peer } from '@peerfetch/test/helpers/peerjs-node.js';

export async function createBoxPeer(signalingUrl: string, id?: string): Promise<Peer> {
  const url = new URL(signalingUrl);
  const { peer, token } = await createNodePeer({
    host: url.hostname,
    port: Number(url.port),
    ...(id ? { id } : {}),
  });
  const { iceServers } = await createRoomsApi({ baseUrl: url }).iceServers({ id: peer.id, token });
  peer.options.config = { ...peer.options.config, iceServers };
  return peer;
}
