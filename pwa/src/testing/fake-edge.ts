/**
 * A pretend edge for unit tests, reachable through a pretend PeerJS link: in-memory channels,
 * a real server session with the real `edgeAuthenticator`, a pairing window, and a request
 * log. It can be stopped, started and frozen.
 */
import {
  channelBinding,
  edgeAuthenticator,
  FORGET_PAIRING_PATH,
  importPairingKey,
  openSession,
  type PairingWindow,
  serveRequests,
} from '@peerfetch/shared';
import { createMemoryChannelPair, type MemoryChannel } from '@peerfetch/shared/testing';
import { DeviceUnreachableError } from '../connection/errors';
import type { PeerLink } from '../connection/peer-link';

export const PHONE_ID = 'app-phone-1';
export const EDGE_NAME = 'Garage Pi';
const PHONE_SDP = 'v=0\r\na=fingerprint:sha-256 AA:AA:AA\r\n';
const EDGE_SDP = 'v=0\r\na=fingerprint:sha-256 BB:BB:BB\r\n';

/** Stats a browser reports for a direct LAN path (host candidates on both ends). */
function hostStats(): Map<string, Record<string, unknown>> {
  return new Map<string, Record<string, unknown>>([
    ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'P' }],
    ['P', { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' }],
    ['L', { id: 'L', type: 'local-candidate', candidateType: 'host' }],
    ['R', { id: 'R', type: 'remote-candidate', candidateType: 'host' }],
  ]);
}

export interface FakeEdgeOptions {
  /** The code of an open pairing window; undefined: pairing closed. */
  code?: string;
  /** Pairing attempts before the window closes. Default 5. */
  maxAttempts?: number;
  /** How long the edge's sessions wait for a silent phone before they end, ms. Default 400. */
  deadAfterMs?: number;
}

export function createFakeEdge(options: FakeEdgeOptions = {}) {
  let up = true;
  let windowOpen = options.code !== undefined;
  let attempts = 0;
  /** Paired clients: id → raw key (what the edge's state file would hold). */
  const clients = new Map<string, { name: string; key: Uint8Array }>();
  /** Every request that reached the handler: what an upstream would have seen. */
  const requests: Array<{ method: string; path: string }> = [];
  const serverEnds: MemoryChannel[] = [];
  let dials = 0;

  const pairing: PairingWindow = {
    beginAttempt() {
      if (!windowOpen || attempts >= (options.maxAttempts ?? 5)) return undefined;
      attempts += 1;
      return options.code;
    },
    async complete(client) {
      clients.set(client.id, { name: client.name, key: client.key.slice() });
      windowOpen = false;
    },
  };

  const peerConnections: Array<EventTarget & { iceConnectionState: RTCIceConnectionState }> = [];

  const link: PeerLink = {
    async dial(deviceId) {
      dials += 1;
      if (!up) throw new DeviceUnreachableError('The device is not connected.');
      const [client, server] = createMemoryChannelPair({ latencyMs: 1 });
      serverEnds.push(server);
      const binding = channelBinding('server', {
        localId: deviceId,
        remoteId: PHONE_ID,
        localSdp: EDGE_SDP,
        remoteSdp: PHONE_SDP,
      });
      const session = openSession(server, {
        role: 'server',
        maxMessageSize: 262144,
        pingIntervalMs: 50,
        deadAfterMs: options.deadAfterMs ?? 400,
        authenticate: edgeAuthenticator({
          binding,
          edgeName: EDGE_NAME,
          pairing,
          findClientKey: async (id) => {
            const found = clients.get(id);
            return found && importPairingKey(found.key);
          },
        }),
      });
      serveRequests(session, async (request) => {
        const path = new URL(request.url).pathname;
        requests.push({ method: request.method, path });
        if (request.method === 'DELETE' && path === FORGET_PAIRING_PATH) {
          clients.delete(PHONE_ID);
          return new Response(null, { status: 204 });
        }
        return new Response(`hello ${path}`, { headers: { 'content-type': 'text/plain' } });
      });
      const peerConnection = Object.assign(new EventTarget(), {
        sctp: { maxMessageSize: 262144 },
        localDescription: { type: 'answer', sdp: PHONE_SDP },
        remoteDescription: { type: 'offer', sdp: EDGE_SDP },
        iceConnectionState: 'connected' as RTCIceConnectionState,
        getStats: async () => hostStats(),
      });
      peerConnections.push(peerConnection);
      return {
        localId: PHONE_ID,
        channel: client as unknown as RTCDataChannel,
        peerConnection: peerConnection as unknown as RTCPeerConnection,
        close: () => client.close(),
      };
    },
  };

  return {
    link,
    clients,
    requests,
    get served() {
      return requests.length;
    },
    get dials() {
      return dials;
    },
    get attempts() {
      return attempts;
    },
    stop() {
      up = false;
      for (const end of serverEnds.splice(0)) end.close();
    },
    /** ICE on every connection so far moves to `state` (a network change, say). */
    iceState(state: RTCIceConnectionState) {
      for (const pc of peerConnections) {
        pc.iceConnectionState = state;
        pc.dispatchEvent(new Event('iceconnectionstatechange'));
      }
    },
    freeze() {
      for (const end of serverEnds) end.blackhole = true;
    },
    start() {
      up = true;
    },
  };
}

export type FakeEdge = ReturnType<typeof createFakeEdge>;

/** A random 256-bit pairing key: as raw bytes for the edge, as a CryptoKey for the phone. */
export async function randomPairing(): Promise<{ raw: Uint8Array; key: CryptoKey }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  return { raw, key: await importPairingKey(raw.slice()) };
}
