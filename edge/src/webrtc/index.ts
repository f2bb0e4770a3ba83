/**
 * The one module that touches `@roamhq/wrtc`. It installs the globals PeerJS expects in a
 * browser (RTCPeerConnection and friends, WebSocket from `ws`) and only then imports
 * PeerJS, whose module body reads them. Everything else in the edge sees standard types.
 */
import { DEFAULT_PEER_MAX_MESSAGE_SIZE } from '@peerfetch/shared';
import type { DataConnection, Peer as PeerClass } from 'peerjs';
import WebSocket from 'ws';
import { MAX_SDP_BYTES, OVERSIZE_TYPE } from './signaling-messages.js';

export type { DataConnection, Peer, PeerOptions } from 'peerjs';

/**
 * How often the signaling socket is pinged. A socket whose peer vanished without closing
 * (a dropped Wi-Fi, a NAT that forgot us) would otherwise look open for many minutes;
 * with no pong by the next ping it is closed, and PeerJS's reconnect logic takes over.
 */
export const SIGNALING_PING_INTERVAL_MS = 10_000;

/**
 * The largest signaling message the edge parses. Relayed messages are small (a data-channel
 * offer is about 1 KB, MAX_SDP_BYTES at most); a stranger's megabytes of junk are replaced by
 * OVERSIZE_MESSAGE before PeerJS's JSON.parse, and the signaling guard counts them.
 */
export const MAX_SIGNALING_MESSAGE_BYTES = MAX_SDP_BYTES + 4096;

/** The WebSocket PeerJS gets (see QuietWebSocket) hands this on in place of a huge message. */
export const OVERSIZE_MESSAGE = JSON.stringify({ type: OVERSIZE_TYPE });

const byteLengthOf = (data: WebSocket.RawData) =>
  Array.isArray(data)
    ? data.reduce((sum, part) => sum + part.byteLength, 0)
    : (data as ArrayBuffer | Buffer).byteLength;

/**
 * The WebSocket PeerJS gets. `ws` emits 'error' on its EventEmitter when a connection
 * fails; PeerJS only sets `onclose`, and an 'error' with no listener would crash the
 * process. The 'close' that follows every error is what PeerJS reacts to, so the error
 * itself can be ignored here. It also pings, to notice a silently dead connection.
 */
export class QuietWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols);
    this.on('error', () => {});
    this.screenMessages();
    let alive = true;
    let timer: NodeJS.Timeout | undefined;
    this.on('pong', () => {
      alive = true;
    });
    this.on('open', () => {
      timer = setInterval(() => {
        if (!alive) {
          this.terminate(); // emits 'close', which PeerJS handles as a lost server
          return;
        }
        alive = false;
        this.ping();
      }, SIGNALING_PING_INTERVAL_MS);
      timer.unref();
    });
    this.on('close', () => clearInterval(timer));
  }

  /**
   * PeerJS reads messages through `onmessage`; this one hands on OVERSIZE_MESSAGE instead of
   * a message over MAX_SIGNALING_MESSAGE_BYTES, without decoding it.
   */
  private screenMessages() {
    let handler: ((event: { data: unknown }) => void) | null = null;
    let listener: ((data: WebSocket.RawData, isBinary: boolean) => void) | undefined;
    Object.defineProperty(this, 'onmessage', {
      configurable: true,
      get: () => handler,
      set: (next: typeof handler) => {
        if (listener) this.off('message', listener);
        handler = next;
        listener = undefined;
        if (!next) return;
        listener = (data, isBinary) => {
          if (byteLengthOf(data) > MAX_SIGNALING_MESSAGE_BYTES) next({ data: OVERSIZE_MESSAGE });
          else next({ data: isBinary ? data : data.toString() });
        };
        this.on('message', listener);
      },
    });
  }
}

type Wrtc = typeof import('@roamhq/wrtc');

/** The native WebRTC module is missing or built for another platform. */
export class WebRtcUnavailableError extends Error {
  override readonly name = 'PeerFetchWebRtcUnavailableError';
}

let wrtcModule: Promise<Wrtc> | undefined;

/** Loads `@roamhq/wrtc` on first use, so a broken native module is a clear error, not a crash at start. */
function loadWrtc(): Promise<Wrtc> {
  wrtcModule ??= import('@roamhq/wrtc').then(
    // CommonJS: Node puts the exports under `default` (the types say named).
    (mod) => (mod as Wrtc & { default?: Wrtc }).default ?? mod,
    (error: Error) => {
      wrtcModule = undefined;
      throw new WebRtcUnavailableError(
        `cannot load @roamhq/wrtc (${error.message}); it is built for linux arm64 and x64 only`,
      );
    },
  );
  return wrtcModule;
}

let peerClass: Promise<typeof PeerClass> | undefined;

/** Installs the WebRTC and WebSocket globals once and returns PeerJS's `Peer` class. */
export function loadPeer(): Promise<typeof PeerClass> {
  peerClass ??= (async () => {
    const wrtc = await loadWrtc();
    const g = globalThis as Record<string, unknown>;
    g.RTCPeerConnection = wrtc.RTCPeerConnection;
    g.RTCSessionDescription = wrtc.RTCSessionDescription;
    g.RTCIceCandidate = wrtc.RTCIceCandidate;
    g.RTCDataChannel = wrtc.RTCDataChannel;
    g.WebSocket = QuietWebSocket;
    const mod = await import('peerjs');
    return (mod.default as unknown as { Peer: typeof PeerClass }).Peer ?? mod.Peer;
  })();
  return peerClass;
}

/** Opens and closes a peer connection: proves the native WebRTC module works here. */
export async function checkWebRtc(): Promise<void> {
  const wrtc = await loadWrtc();
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  try {
    pc.createDataChannel('doctor');
    await pc.createOffer();
  } finally {
    pc.close();
  }
}

/**
 * The SCTP maximum message size the remote side accepts; {@link DEFAULT_PEER_MAX_MESSAGE_SIZE}
 * when not reported.
 */
export function maxMessageSizeOf(peerConnection: unknown): number {
  const size = (peerConnection as { sctp?: { maxMessageSize?: number } | null } | undefined)?.sctp
    ?.maxMessageSize;
  return typeof size === 'number' && Number.isFinite(size) && size > 0
    ? size
    : DEFAULT_PEER_MAX_MESSAGE_SIZE;
}

/** What the client recipe (openClientSession) reads from a peer connection. */
export function sessionInputsOf(peerConnection: DataConnection['peerConnection']): {
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  maxMessageSize: number;
} {
  return {
    localSdp: peerConnection.localDescription?.sdp,
    remoteSdp: peerConnection.remoteDescription?.sdp,
    maxMessageSize: maxMessageSizeOf(peerConnection),
  };
}
