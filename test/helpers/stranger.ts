/**
 * A hostile stranger at the signaling server: a bare PeerJS-protocol WebSocket with no
 * WebRTC stack behind it, which can address any peer id with any message. Also reads a
 * process's descriptors and threads from /proc, to show what a flood costs the edge.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { randomPeerId } from './peerjs-node.js';
import { TEST_PEER_KEY } from './signaling.js';

export interface StrangerSocket {
  readonly id: string;
  /** Every message the server sent us (parsed). */
  readonly received: Record<string, unknown>[];
  /** Sends one message; resolves once ws has handed it to the kernel. */
  send(message: unknown): Promise<void>;
  close(): void;
}

/** Registers `id` (random by default) and resolves on the server's OPEN. */
export async function openStrangerSocket(
  port: number,
  options: { id?: string; token?: string } = {},
): Promise<StrangerSocket> {
  const id = options.id ?? randomPeerId('stranger');
  const token = options.token ?? randomBytes(8).toString('hex');
  const socket = new WebSocket(
    `ws://127.0.0.1:${port}/peerjs/peerjs?key=${TEST_PEER_KEY}&id=${id}&token=${token}&version=1.5.5`,
  );
  const received: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stranger ${id} got no OPEN in 10 s`)), 10_000);
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      received.push(message);
      if (message.type === 'OPEN') {
        clearTimeout(timer);
        resolve();
      } else if (received.length === 1) {
        clearTimeout(timer);
        reject(new Error(`stranger ${id} was refused: ${JSON.stringify(message)}`));
      }
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return {
    id,
    received,
    send: (message) =>
      new Promise((resolve, reject) =>
        socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())),
      ),
    close: () => socket.close(),
  };
}

/** A real data-channel offer made once by libwebrtc, to be replayed without a WebRTC stack. */
export async function cannedOfferSdp(): Promise<string> {
  const wrtc = (await import('@roamhq/wrtc')) as unknown as {
    default?: { RTCPeerConnection: typeof RTCPeerConnection };
    RTCPeerConnection: typeof RTCPeerConnection;
  };
  const pc = new (wrtc.default ?? wrtc).RTCPeerConnection({ iceServers: [] });
  try {
    pc.createDataChannel('canned');
    const offer = await pc.createOffer();
    return offer.sdp ?? '';
  } finally {
    pc.close();
  }
}

/** A PeerJS data OFFER as a stock client sends it. */
export function dataOffer(dst: string, sdp: string, connectionId = randomPeerId('dc_')) {
  return {
    type: 'OFFER',
    dst,
    payload: {
      type: 'data',
      connectionId,
      sdp: { type: 'offer', sdp },
      label: connectionId,
      serialization: 'raw',
      reliable: true,
    },
  };
}

export interface ProcessStats {
  rssBytes: number;
  fds: number;
  threads: number;
}

export async function processStats(pid: number): Promise<ProcessStats> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1]);
  return {
    rssBytes: field('VmRSS') * 1024,
    threads: field('Threads'),
    fds: (await readdir(`/proc/${pid}/fd`)).length,
  };
}

/** Samples `pid` every `everyMs` until stopped; returns the peaks seen. */
export function watchPeaks(pid: number, everyMs = 100) {
  const peak: ProcessStats = { rssBytes: 0, fds: 0, threads: 0 };
  const timer = setInterval(() => {
    processStats(pid).then(
      (now) => {
        peak.rssBytes = Math.max(peak.rssBytes, now.rssBytes);
        peak.fds = Math.max(peak.fds, now.fds);
        peak.threads = Math.max(peak.threads, now.threads);
      },
      // The process exited between samples: its death is the caller's check (edge.running()).
      () => {},
    );
  }, everyMs);
  return {
    stop(): ProcessStats {
      clearInterval(timer);
      return { ...peak };
    },
  };
}

export interface StrangerFlood {
  /** Messages sent so far. */
  readonly sent: number;
  stop(): Promise<void>;
}

/**
 * Four strangers sending, every 10 ms, a canned data offer and four 48 KB candidates for
 * connections that do not exist, until stopped: about 100 offers and 400 candidates (19 MB)
 * a second, bounded by ws's own pace.
 */
export async function startStrangerFlood(port: number, dst: string): Promise<StrangerFlood> {
  const sdp = await cannedOfferSdp();
  const strangers = await Promise.all([1, 2, 3, 4].map(() => openStrangerSocket(port)));
  const padding = 'a'.repeat(48 * 1024);
  let sent = 0;
  let running = true;
  const loops = strangers.map(async (stranger, n) => {
    for (let i = 0; running; i++) {
      await stranger.send(dataOffer(dst, sdp));
      await stranger.send({
        type: 'CANDIDATE',
        dst,
        payload: { connectionId: `dc_${n}_${i}`, candidate: { candidate: padding } },
      });
      sent += 2;
      await new Promise((r) => setTimeout(r, 10 * (i % 2)));
    }
  });
  return {
    get sent() {
      return sent;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const stranger of strangers) stranger.close();
    },
  };
}
