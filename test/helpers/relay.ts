/**
 * A man in the middle, as a malicious signaling server could arrange: registered on the
 * malicious server under the edge's peer id and, per phone that connects, on the real
 * server under that phone's peer id. It pipes every DataChannel message both ways and
 * keeps a copy. It terminates DTLS on both sides with certificates of its own, so the
 * peer ids match what each side expects but the fingerprints do not.
 */
import type { DataConnection } from 'peerjs';
import { createNodePeer, type Peer } from './peerjs-node.js';

export interface RelayedMessage {
  direction: 'phone→edge' | 'edge→phone';
  bytes: Buffer;
}

export interface Relay {
  /** Every message relayed so far, in order. */
  messages: RelayedMessage[];
  /** Phones that connected (their peer ids). */
  phones: string[];
  stop(): Promise<void>;
}

/** Sends now if open, else queues until 'open' (PeerJS refuses sends before it). */
function sender(connection: DataConnection) {
  const queue: ArrayBuffer[] = [];
  connection.on('open', () => {
    for (const data of queue.splice(0)) connection.send(data);
  });
  return (data: ArrayBuffer) => {
    if (connection.open) connection.send(data);
    else queue.push(data);
  };
}

/**
 * The token the relay holds the edge's id with on the malicious server: one for every relay,
 * since a signaling server reserves an id for the token that first registered it.
 */
const RELAY_EDGE_TOKEN = 'relay-edge-token-0123456789';

export async function startRelay(options: {
  maliciousPort: number;
  realPort: number;
  edgeId: string;
  /**
   * Phones' tokens by peer id, as a malicious signaling server learns them (a client sends its
   * token in its WebSocket URL). The real server reserves a phone's id for its token, so the
   * relay needs it to register there under the id of a phone the real server has seen.
   */
  phoneTokens?: Record<string, string>;
}): Promise<Relay> {
  const messages: RelayedMessage[] = [];
  const phones: string[] = [];
  const peers: Peer[] = [];
  const { peer: front } = await createNodePeer({
    port: options.maliciousPort,
    id: options.edgeId,
    token: RELAY_EDGE_TOKEN,
  });
  peers.push(front);
  front.on('connection', (phoneSide) => {
    phones.push(phoneSide.peer);
    const toPhone = sender(phoneSide);
    const pending: ArrayBuffer[] = [];
    let toEdge: ((data: ArrayBuffer) => void) | undefined;
    phoneSide.on('data', (data) => {
      const bytes = data as ArrayBuffer;
      messages.push({ direction: 'phone→edge', bytes: Buffer.from(bytes.slice(0)) });
      if (toEdge) toEdge(bytes);
      else pending.push(bytes);
    });
    const token = options.phoneTokens?.[phoneSide.peer];
    void createNodePeer({ port: options.realPort, id: phoneSide.peer, token }).then(
      ({ peer: back }) => {
        peers.push(back);
        back.on('error', () => {});
        const edgeSide = back.connect(options.edgeId, { reliable: true, serialization: 'raw' });
        edgeSide.on('data', (data) => {
          const bytes = data as ArrayBuffer;
          messages.push({ direction: 'edge→phone', bytes: Buffer.from(bytes.slice(0)) });
          toPhone(bytes);
        });
        toEdge = sender(edgeSide);
        for (const data of pending.splice(0)) toEdge(data);
        edgeSide.on('close', () => phoneSide.close());
        phoneSide.on('close', () => edgeSide.close());
      },
    );
  });
  return {
    messages,
    phones,
    async stop() {
      for (const peer of peers) peer.destroy();
      // Let both servers see the sockets close before anyone registers these ids again.
      await new Promise((r) => setTimeout(r, 300));
    },
  };
}
