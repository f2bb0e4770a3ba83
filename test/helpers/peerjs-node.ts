/**
 * The stock PeerJS client in Node, pointed at a local signaling server, loaded the edge's way
 * (`loadPeer` from @peerfetch/edge: @roamhq/wrtc and a WebSocket as PeerJS's browser
 * globals). Never reaches PeerJS's cloud or any public STUN/TURN: host, port, path, secure
 * and iceServers are always explicit.
 */
import { randomBytes } from 'node:crypto';
import { loadPeer } from '@peerfetch/edge';
import { PEERJS_PATH } from '@peerfetch/shared';
import type { DataConnection, PeerOptions, Peer as PeerType } from 'peerjs';
import { TEST_PEER_KEY } from './signaling.js';

export type Peer = PeerType;

export interface NodePeerOptions {
  /** Signaling server port (on 127.0.0.1). */
  port: number;
  /** Peer id; a random one when left out. */
  id?: string;
  /** Token presented to the server; a random one when left out. */
  token?: string;
  /** PeerJS key; default {@link TEST_PEER_KEY}. */
  key?: string;
  /** Host; default `127.0.0.1`. */
  host?: string;
  /** RTC configuration; default `{ iceServers: [] }` (loopback candidates only). */
  config?: RTCConfiguration;
}

export interface OpenNodePeer {
  peer: Peer;
  id: string;
  token: string;
}

/** A random id PeerJS accepts (letters and digits). */
export function randomPeerId(prefix = 'p'): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

/** Creates a stock PeerJS client and resolves once the server has accepted it (`open`). */
export async function createNodePeer(options: NodePeerOptions): Promise<OpenNodePeer> {
  const Peer = await loadPeer();
  const id = options.id ?? randomPeerId();
  const token = options.token ?? randomBytes(12).toString('hex');
  const peerOptions: PeerOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port,
    path: PEERJS_PATH,
    secure: false,
    key: options.key ?? TEST_PEER_KEY,
    token,
    config: options.config ?? { iceServers: [] },
    debug: 0,
  };
  const peer = new Peer(id, peerOptions);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      peer.destroy();
      reject(new Error(`peer ${id} did not open within 10 s`));
    }, 10_000);
    peer.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    peer.once('error', (error) => {
      clearTimeout(timer);
      peer.destroy();
      reject(error);
    });
  });
  return { peer, id, token };
}

/** Resolves when a DataConnection is open (rejects on error or after `timeoutMs`). */
export function waitForOpen(connection: DataConnection, timeoutMs = 20_000): Promise<void> {
  if (connection.open) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`data connection did not open within ${timeoutMs} ms`)),
      timeoutMs,
    );
    connection.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
