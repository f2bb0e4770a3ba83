/**
 * The bench page loaded in Chromium: PeerJS plus the shared PeerFetch client, as the PWA
 * uses them (a raw reliable DataConnection, a client session opened at 'open', the
 * client authenticator bound to the connection). Driven from Node through `window.bench`.
 */
import {
  type ClientCredentials,
  channelBinding,
  clientAuthenticator,
  createPeerFetch,
  importPairingKey,
  openSession,
  type PeerFetch,
  type SessionOptions,
} from '@peerfetch/shared';
import { type DataConnection, Peer } from 'peerjs';
import { RawOp } from '../bench-protocol.js';

interface Policy {
  frameSize: number;
  highWaterMark: number;
  lowWaterMark: number;
}

let peer: Peer;
let raw: DataConnection | undefined;
let client: { fetch: PeerFetch['fetch']; close(): void; channel: RTCDataChannel } | undefined;
let pairingKey: Uint8Array | undefined;

function opened(connection: DataConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.once('open', () => resolve());
    connection.once('error', (error) => reject(error));
  });
}

async function session(
  deviceId: string,
  credentials: ClientCredentials,
  tuning: Partial<SessionOptions> = {},
) {
  const connection = peer.connect(deviceId, { reliable: true, serialization: 'raw' });
  const ready = new Promise<ReturnType<typeof openSession>>((resolve, reject) => {
    connection.once('open', () => {
      const pc = connection.peerConnection;
      const binding = channelBinding('client', {
        localId: peer.id,
        remoteId: deviceId,
        localSdp: pc.localDescription?.sdp ?? '',
        remoteSdp: pc.remoteDescription?.sdp ?? '',
      });
      resolve(
        openSession(connection.dataChannel, {
          ...tuning,
          role: 'client',
          maxMessageSize: pc.sctp?.maxMessageSize || 65536,
          authenticate: clientAuthenticator({ binding, clientName: 'bench browser', credentials }),
        }),
      );
    });
    connection.once('error', reject);
  });
  const opened = await ready;
  await opened.ready;
  const fetcher = createPeerFetch(opened);
  return {
    fetch: fetcher.fetch.bind(fetcher),
    channel: connection.dataChannel,
    close() {
      opened.close();
      connection.close();
    },
  };
}

async function count(response: Response): Promise<number> {
  const reader = response.body!.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return total;
    total += value.byteLength;
  }
}

/** Message times and sizes on one channel while watched ([ms, bytes], performance.now()). */
interface Traffic {
  received: [number, number][];
  sent: [number, number][];
}
let unwatch: (() => Traffic) | undefined;

const bench = {
  /** `id` is given: asking the server for one is a cross-origin fetch it does not allow. */
  start(port: number, id: string): Promise<string> {
    peer = new Peer(id, {
      host: '127.0.0.1',
      port,
      path: '/peerjs',
      secure: false,
      key: 'peerfetch',
      config: { iceServers: [] },
      debug: 0,
    });
    return new Promise((resolve, reject) => {
      peer.once('open', (opened) => resolve(opened));
      peer.once('error', (error) => reject(new Error(String(error))));
    });
  },
  /** `sources`: where the bench peer's same-source downloads read (bench-protocol.ts). */
  async openRaw(benchPeerId: string, policy: Policy, sources?: unknown): Promise<number> {
    raw = peer.connect(benchPeerId, {
      reliable: true,
      serialization: 'raw',
      metadata: { mode: 'raw', policy, sources },
    });
    await opened(raw);
    return raw.peerConnection.sctp?.maxMessageSize ?? 65536;
  },
  /** `op`: the bench peer's download command (from memory, or a same-source one). */
  rawDownload(bytes: number, op: number = RawOp.download): Promise<number> {
    const channel = raw!.dataChannel;
    const started = performance.now();
    return new Promise((resolve) => {
      let received = 0;
      const onMessage = (event: MessageEvent<ArrayBuffer>) => {
        received += event.data.byteLength;
        if (received < bytes) return;
        channel.removeEventListener('message', onMessage);
        resolve(performance.now() - started);
      };
      channel.addEventListener('message', onMessage);
      const command = new Uint8Array(9);
      command[0] = op;
      new DataView(command.buffer).setFloat64(1, bytes);
      channel.send(command);
    });
  },
  async pair(deviceId: string, pairingCode: string): Promise<void> {
    const paired = await session(deviceId, {
      pairingCode,
      onPaired: (result) => {
        pairingKey = result.key;
      },
    });
    paired.close();
    if (!pairingKey) throw new Error('paired without a key');
  },
  /** `tuning`: session options of the browser's side (the sweep); defaults otherwise. */
  async openPeerFetch(deviceId: string, tuning: Partial<SessionOptions> = {}): Promise<void> {
    client?.close();
    client = await session(deviceId, { key: await importPairingKey(pairingKey!) }, tuning);
  },
  async peerFetchDownload(path: string, bytes: number): Promise<number> {
    const started = performance.now();
    const total = await count(await client!.fetch(path));
    if (total !== bytes) throw new Error(`received ${total} of ${bytes} bytes`);
    return performance.now() - started;
  },
  /**
   * Records every message on the raw or the PeerFetch channel until `watched` (for
   * profile-browser.ts): arrivals by the event's own time stamp, which the session's listener
   * (added first) does not delay; sends (the PeerFetch client's CREDIT frames) through a
   * wrapper on this channel object, the one the session calls.
   */
  watch(kind: 'raw' | 'peerFetch'): void {
    const channel = kind === 'raw' ? raw!.dataChannel : client!.channel;
    const traffic: Traffic = { received: [], sent: [] };
    const onMessage = (event: MessageEvent<ArrayBuffer>) =>
      traffic.received.push([event.timeStamp, event.data.byteLength]);
    const send = channel.send;
    channel.send = ((data: ArrayBuffer | ArrayBufferView) => {
      traffic.sent.push([performance.now(), data.byteLength]);
      Reflect.apply(send, channel, [data]);
    }) as RTCDataChannel['send'];
    channel.addEventListener('message', onMessage);
    unwatch = () => {
      channel.removeEventListener('message', onMessage);
      delete (channel as Partial<RTCDataChannel>).send; // the prototype's again
      return traffic;
    };
  },
  watched(): Traffic {
    const traffic = unwatch!();
    unwatch = undefined;
    return traffic;
  },
  close() {
    raw?.close();
    client?.close();
    peer.destroy();
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
document.title = 'bench ready';
