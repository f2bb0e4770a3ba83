/**
 * Strangers in the edge's room, attacking through the signaling server with a bare
 * PeerJS-protocol socket: malformed messages (also queued while the edge was away), a memory
 * flood of candidates and media calls, an offer flood that would exhaust descriptors, and
 * real WebRTC strangers holding handshakes open. Each attack is checked to have arrived
 * (the edge counts what it dropped), and through each a paired client keeps being served.
 */
import { FrameType } from '@peerfetch/shared';
import { framesOf, rawFrames } from '@peerfetch/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeStateDir,
  removeStateDir,
  runEdgeCli,
  type StartedEdge,
  startEdge,
} from '../helpers/edge.js';
import { serviceEnvironment } from '../helpers/edge-stack.js';
import {
  type ClientSession,
  connectPaired,
  type PairedIdentity,
  pairClient,
} from '../helpers/pairing.js';
import { createNodePeer, type OpenNodePeer, waitForOpen } from '../helpers/peerjs-node.js';
import {
  type StartedSignaling,
  startSignaling,
  UNLIMITED_SIGNALING,
} from '../helpers/signaling.js';
import {
  cannedOfferSdp,
  dataOffer,
  openStrangerSocket,
  processStats,
  watchPeaks,
} from '../helpers/stranger.js';

const MIB = 1024 * 1024;
let signaling: StartedSignaling;
let stateDir: string;
let edge: StartedEdge;
let paired: PairedIdentity;
let session: ClientSession;

interface SignalingStatus {
  dropped: Record<string, number>;
  pendingConnections: number;
}

async function signalingStatus(): Promise<SignalingStatus> {
  const result = await runEdgeCli(edge, ['status', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout.toString()) as { signaling: SignalingStatus }).signaling;
}

const droppedTotal = (status: SignalingStatus) =>
  Object.values(status.dropped).reduce((sum, n) => sum + n, 0);

/** Starts (or restarts) the edge on the test's state dir with at most two served sessions. */
async function startTestEdge(): Promise<StartedEdge> {
  return startEdge({
    signalingUrl: signaling.url,
    stateDir,
    // As shipped: the systemd unit's memory settings.
    env: { ...serviceEnvironment(), PEERFETCH_MAX_SESSIONS: '2', PEERFETCH_LOG_LEVEL: 'info' },
  });
}

/** Waits until the offer flood's admitted connections, which never complete ICE, are closed by the edge's deadline. */
async function noPendingConnections() {
  await expect
    .poll(async () => (await signalingStatus()).pendingConnections, { timeout: 30_000 })
    .toBe(0);
}

async function expectServed(client: ClientSession) {
  const response = await client.fetch('/api/device');
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

beforeAll(async () => {
  // The edge must hold against a server that relays anything (it may be hostile): the
  // server's own per-address and per-socket caps (signaling-slots.test.ts) are lifted here.
  signaling = await startSignaling(UNLIMITED_SIGNALING);
  stateDir = await makeStateDir();
  edge = await startTestEdge();
  paired = await pairClient(signaling.port, edge);
  session = await connectPaired(signaling.port, edge, paired);
});

afterAll(async () => {
  await session?.close();
  await edge?.stop();
  await signaling?.stop();
  await removeStateDir(stateDir);
});

/** Messages that each once ended the edge inside PeerJS's handler. */
function malformedBattery(dst: string, sdp: string) {
  const offer = dataOffer(dst, sdp);
  return [
    { type: 'OFFER', dst, payload: null },
    { ...offer, payload: { ...offer.payload, serialization: 'no-such-serializer' } },
    { ...offer, payload: { ...offer.payload, sdp: null } },
    { type: 'CANDIDATE', dst, payload: { connectionId: 'dc_x', candidate: null } },
    { type: 'ANSWER', dst, payload: null },
    { type: 'OFFER', dst, payload: { type: 'media', connectionId: 'mc_1', sdp: 'x' } },
  ];
}

describe('the edge against hostile strangers at the signaling server', () => {
  it('survives malformed messages, also those queued for it while it was away', async () => {
    const sdp = await cannedOfferSdp();
    const stranger = await openStrangerSocket(signaling.port);
    const battery = malformedBattery(edge.peerId, sdp);
    await session.close();
    await edge.stop();
    // PeerServer holds messages for an absent id and delivers them on registration.
    for (const message of battery) await stranger.send(message);
    edge = await startTestEdge();
    await expect
      .poll(async () => droppedTotal(await signalingStatus()), { timeout: 10_000 })
      .toBe(battery.length);
    expect(stranger.received.filter((m) => m.type === 'EXPIRE')).toEqual([]);
    // And the same again while it runs, many times over.
    for (let round = 0; round < 20; round++)
      for (const message of battery) await stranger.send(message);
    await expect
      .poll(async () => droppedTotal(await signalingStatus()), { timeout: 10_000 })
      .toBe(battery.length * 21);
    expect(edge.running()).toBe(true);
    const status = await signalingStatus();
    expect(status.dropped).toMatchObject({
      malformed: 3 * 21,
      'answer-unsolicited': 21,
      'unsupported-connection': 21,
      'media-call': 21,
    });
    // Logged at a bounded rate: 126 drops, at most a few lines.
    const lines = edge.logs.filter((l) => l.msg === 'dropped a signaling message');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(3);
    session = await connectPaired(signaling.port, edge, paired);
    await expectServed(session);
    stranger.close();
  });

  it('stays bounded in memory under a flood of big candidates and media calls', async () => {
    const stranger = await openStrangerSocket(signaling.port);
    const before = await processStats(edge.process.pid!);
    const droppedBefore = droppedTotal(await signalingStatus());
    const peaks = watchPeaks(edge.process.pid!);
    const padding = 'a'.repeat(48 * 1024);
    const flood = 3000;
    const served: Promise<void>[] = [];
    for (let i = 0; i < flood; i++) {
      const message =
        i % 10 === 0
          ? { type: 'OFFER', dst: edge.peerId, payload: { type: 'media', connectionId: `mc_${i}` } }
          : {
              type: 'CANDIDATE',
              dst: edge.peerId,
              payload: {
                connectionId: `dc_${i}`,
                candidate: { candidate: `candidate:1 1 udp 1 127.0.0.1 ${i} typ host`, padding },
              },
            };
      await stranger.send(message);
      if (i % 500 === 0) served.push(expectServed(session));
    }
    await expect
      .poll(async () => droppedTotal(await signalingStatus()) - droppedBefore, { timeout: 30_000 })
      .toBe(flood);
    await Promise.all(served);
    const peak = peaks.stop();
    const after = await processStats(edge.process.pid!);
    console.log(
      `[hostile figures] candidate flood: RSS ${(before.rssBytes / MIB).toFixed(0)} -> peak ${(peak.rssBytes / MIB).toFixed(0)} -> ${(after.rssBytes / MIB).toFixed(0)} MiB`,
    );
    expect(peak.rssBytes - before.rssBytes).toBeLessThan(64 * MIB);
    expect(edge.running()).toBe(true);
    await expectServed(session);
    stranger.close();
  });

  it('caps connections under an offer flood: descriptors and threads stay bounded', async () => {
    const sdp = await cannedOfferSdp();
    const strangers = await Promise.all([1, 2, 3, 4].map(() => openStrangerSocket(signaling.port)));
    const before = await processStats(edge.process.pid!);
    const droppedBefore = droppedTotal(await signalingStatus());
    const peaks = watchPeaks(edge.process.pid!);
    const served: Promise<void>[] = [];
    let maxPending = 0;
    // 400 canned offers at about 100 a second, spread over four stranger ids.
    for (let i = 0; i < 400; i++) {
      await strangers[i % 4]!.send(dataOffer(edge.peerId, sdp));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 100));
      if (i % 100 === 50) {
        served.push(expectServed(session));
        maxPending = Math.max(maxPending, (await signalingStatus()).pendingConnections);
      }
    }
    // A paired client that connects in the middle of the flood is served too.
    const during = await connectPaired(signaling.port, edge, paired);
    await expectServed(during);
    await Promise.all(served);
    const status = await signalingStatus();
    const dropped = droppedTotal(status) - droppedBefore;
    const peak = peaks.stop();
    console.log(
      `[hostile figures] offer flood: ${dropped} of 400 dropped, pending at most ${maxPending}; fds ${before.fds} -> peak ${peak.fds}; threads ${before.threads} -> peak ${peak.threads}; RSS +${((peak.rssBytes - before.rssBytes) / MIB).toFixed(0)} MiB`,
    );
    // The offers arrived: all but the admitted few were dropped by the caps.
    expect(dropped).toBeGreaterThanOrEqual(400 - 2 * 8 * 4);
    expect(maxPending).toBeGreaterThan(0);
    expect(peak.fds).toBeLessThan(2000);
    expect(peak.threads - before.threads).toBeLessThan(200);
    expect(peak.rssBytes - before.rssBytes).toBeLessThan(64 * MIB);
    await during.close();
    for (const stranger of strangers) stranger.close();
  });

  it('answers nothing but the handshake before authentication: a PING flood ends that session', async () => {
    await noPendingConnections();
    const stranger = await createNodePeer({ port: signaling.port });
    const connection = stranger.peer.connect(edge.peerId, { reliable: true, serialization: 'raw' });
    await waitForOpen(connection);
    const channel = connection.dataChannel;
    channel.binaryType = 'arraybuffer';
    const received: number[] = [];
    channel.addEventListener('message', (event: MessageEvent<ArrayBuffer>) => {
      for (const frame of framesOf(new Uint8Array(event.data))) received.push(frame.type);
    });
    const closed = new Promise<void>((resolve) =>
      channel.addEventListener('close', () => resolve()),
    );
    channel.send(rawFrames.hello());
    let sent = 0;
    for (; sent < 2000 && channel.readyState === 'open'; sent++) {
      channel.send(rawFrames.ping(sent));
      if (sent % 100 === 99) await new Promise((r) => setTimeout(r, 1));
    }
    await closed;
    // The edge said HELLO and, on the first PING, ERROR; it never answered a PING.
    expect(sent).toBeGreaterThan(0);
    expect(received).not.toContain(FrameType.Pong);
    expect(received).toContain(FrameType.Error);
    expect(edge.running()).toBe(true);
    await expectServed(session);
    stranger.peer.destroy();
  });

  it('never lets strangers holding handshakes take a paired client’s place', async () => {
    await noPendingConnections();
    // With PEERFETCH_MAX_SESSIONS=2, sixteen strangers that open real channels and never
    // authenticate would have kept every paired client at 503.
    const strangers: OpenNodePeer[] = [];
    const opened: Promise<void>[] = [];
    for (let i = 0; i < 16; i++) {
      const stranger = await createNodePeer({ port: signaling.port });
      strangers.push(stranger);
      const connection = stranger.peer.connect(edge.peerId, {
        reliable: true,
        serialization: 'raw',
      });
      opened.push(new Promise<void>((resolve) => connection.once('open', () => resolve())));
    }
    // Some strangers really got a channel to the edge (the attack arrived)...
    await Promise.race(opened);
    const second = await connectPaired(signaling.port, edge, paired);
    await expectServed(session);
    await expectServed(second);
    expect((await signalingStatus()).pendingConnections).toBeGreaterThan(0);
    await second.close();
    for (const stranger of strangers) stranger.peer.destroy();
  });
});
