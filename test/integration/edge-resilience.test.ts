/**
 * The edge through trouble: signaling restarts, edge restarts, a client speaking garbage,
 * shutdown on SIGTERM, and a damaged state file.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeStateDir, removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import {
  type ClientSession,
  connectPaired,
  type PairedIdentity,
  pairClient,
} from '../helpers/pairing.js';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let stateDir: string;
const edges: StartedEdge[] = [];
const clients: ClientSession[] = [];

beforeAll(async () => {
  signaling = await startSignaling();
  stateDir = await makeStateDir();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  for (const e of edges) await e.stop();
  await signaling?.stop();
  await removeStateDir(stateDir);
});

async function edgeOn(dir = stateDir): Promise<StartedEdge> {
  const edge = await startEdge({ signalingUrl: signaling.url, stateDir: dir });
  edges.push(edge);
  return edge;
}

/** The edge an earlier test left running, or a new one (so each test also runs alone). */
async function runningEdge(): Promise<StartedEdge> {
  const alive = edges.filter((e) => e.running());
  return alive.at(-1) ?? edgeOn();
}

/** Paired identities by state directory: a restarted edge still knows them. */
const pairings = new Map<string, PairedIdentity[]>();

/** A session of the `slot`-th client paired with this edge's state (pairing it first if new). */
async function pairedIdentities(edge: StartedEdge, count: number): Promise<PairedIdentity[]> {
  const known = pairings.get(edge.stateDir) ?? [];
  pairings.set(edge.stateDir, known);
  while (known.length < count) known.push(await pairClient(signaling.port, edge));
  return known;
}

async function client(edge: StartedEdge, slot = 0): Promise<ClientSession> {
  const known = await pairedIdentities(edge, slot + 1);
  const c = await connectPaired(signaling.port, edge, known[slot]!);
  clients.push(c);
  return c;
}

describe('edge resilience', () => {
  it('is registered and reachable again within 10 s of a signaling restart', async () => {
    const edge = await edgeOn();
    const before = edge.logs.filter((l) => l.msg === 'joined room').length;
    const existing = await client(edge);
    await pairedIdentities(edge, 2); // pair the second client now, not inside the timing
    const port = signaling.port;
    await signaling.stop();
    await edge.waitForLog((l) => l.msg === 'lost the signaling server; reconnecting');
    // Sessions are peer to peer: one opened before the outage keeps working through it.
    expect((await existing.fetch('/api/device')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 4000)); // down long enough for the backoff to grow
    const t0 = Date.now();
    signaling = await startSignaling({ PORT: String(port) });
    await edge.waitForLog(
      (l) =>
        l.msg === 'joined room' && edge.logs.filter((x) => x.msg === 'joined room').length > before,
      10_000,
    );
    const c = await client(edge, 1);
    expect((await c.fetch('/api/device')).status).toBe(200);
    const seconds = (Date.now() - t0) / 1000;
    expect((await existing.fetch('/api/device')).status).toBe(200);
    expect(seconds).toBeLessThan(10);
    console.log(
      `[edge figures] reachable again ${seconds.toFixed(1)} s after the signaling restart`,
    );
  });

  it('comes back with the same peer id after a restart, and the next request works', async () => {
    const first = await runningEdge();
    const id = first.peerId;
    const before = await client(first);
    expect((await before.fetch('/api/device')).status).toBe(200);
    const stopped = await first.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5000);
    expect(first.logs.some((l) => l.msg === 'leaving the room failed')).toBe(false);
    expect(first.logs.at(-1)?.msg).toBe('edge stopped');
    // The edge closed the session on its way out; the client sees that, not a hang.
    await before.session.closed;
    await expect(before.fetch('/api/device')).rejects.toMatchObject({
      name: 'PeerFetchSessionClosedError',
    });
    await before.close(); // its id comes back below, with the pairing key kept on both sides
    const second = await edgeOn();
    expect(second.peerId).toBe(id);
    const again = await client(second);
    expect((await again.fetch('/api/device')).status).toBe(200);
  });

  it('disconnects a client that sends garbage, and keeps serving the others', async () => {
    const edge = await runningEdge();
    const good = await client(edge, 0);
    const bad = await client(edge, 1);
    const badClosed = new Promise<void>((r) =>
      bad.connection.dataChannel.addEventListener('close', () => r()),
    );
    bad.connection.dataChannel.send(
      new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    );
    const reason = await bad.session.closed;
    expect(reason?.name).toBe('PeerFetchProtocolError');
    await badClosed;
    await edge.waitForLog((l) => l.msg === 'session ended with an error');
    expect((await good.fetch('/api/device')).status).toBe(200);
    expect(edge.running()).toBe(true);
  });

  it('stops with a clear message on a corrupt state file and leaves the file alone', async () => {
    const dir = await makeStateDir();
    try {
      const path = join(dir, 'identity.json');
      await writeFile(path, '{"version":1,"peerId":"edge-');
      const edge = startEdge({ signalingUrl: signaling.url, stateDir: dir });
      await expect(edge).rejects.toThrow(/exited \(code 1,/);
      await expect(edge).rejects.toThrow(new RegExp(`identity file ${path} is corrupt`));
      expect(await readFile(path, 'utf8')).toBe('{"version":1,"peerId":"edge-');
      // The same for the paired clients: never silently forget them.
      await rm(path);
      const clients = join(dir, 'paired-clients.json');
      await writeFile(clients, '{"version":1,"clients":[');
      await expect(startEdge({ signalingUrl: signaling.url, stateDir: dir })).rejects.toThrow(
        new RegExp(`paired clients file ${clients} is corrupt; it was left in place`),
      );
      expect(await readFile(clients, 'utf8')).toBe('{"version":1,"clients":[');
    } finally {
      await removeStateDir(dir);
    }
  });
});

describe('edge registration edge cases', () => {
  it('registers once a signaling server that was down at start comes up', async () => {
    const port = signaling.port;
    await signaling.stop();
    const dir = await makeStateDir();
    try {
      const edge = await startEdge({
        signalingUrl: `http://127.0.0.1:${port}`,
        stateDir: dir,
        readyMessage: null,
      });
      edges.push(edge);
      await edge.waitForLog((l) => l.msg === 'reconnecting to signaling');
      signaling = await startSignaling({ PORT: String(port) });
      await edge.waitForLog((l) => l.msg === 'joined room', 10_000);
      const c = await client(edge);
      expect((await c.fetch('/api/device')).status).toBe(200);
    } finally {
      await edges.pop()?.stop();
      await removeStateDir(dir);
    }
  });

  it('keeps retrying through ID-TAKEN, warning once, while another token holds its id', async () => {
    const dir = await makeStateDir();
    try {
      const first = await startEdge({ signalingUrl: signaling.url, stateDir: dir });
      const id = first.peerId;
      await first.stop();
      // The server reserves ids in memory only: after its restart, a stranger who registers
      // the id first holds it for another token.
      const port = signaling.port;
      await signaling.stop();
      signaling = await startSignaling({ PORT: String(port) });
      const squatter = await createNodePeer({ port: signaling.port, id });
      const edge = await startEdge({
        signalingUrl: signaling.url,
        stateDir: dir,
        readyMessage: null,
      });
      edges.push(edge);
      const refusedWarning = (l: Record<string, unknown>) =>
        l.level === 40 && /refuses this peer id/.test(String(l.msg));
      await edge.waitForLog(refusedWarning);
      await new Promise((r) => setTimeout(r, 3000));
      expect(edge.logs.filter((l) => l.msg === 'reconnecting to signaling').length).toBeGreaterThan(
        1,
      );
      expect(edge.logs.filter(refusedWarning)).toHaveLength(1);
      expect(edge.logs.some((l) => l.msg === 'joined room')).toBe(false);
      // A server that forgets the stranger's reservation gives the id back to the edge.
      squatter.peer.destroy();
      await signaling.stop();
      signaling = await startSignaling({ PORT: String(port) });
      await edge.waitForLog((l) => l.msg === 'joined room', 15_000);
      expect(edge.peerId).toBe(id);
      const c = await client(edge);
      expect((await c.fetch('/api/device')).status).toBe(200);
    } finally {
      await edges.pop()?.stop();
      await removeStateDir(dir);
    }
  });
});

describe('a signaling server that goes silent without closing', () => {
  it('is noticed by pings and the edge registers again once it answers', async () => {
    const dir = await makeStateDir();
    try {
      const edge = await startEdge({ signalingUrl: signaling.url, stateDir: dir });
      edges.push(edge);
      const joinedBefore = edge.logs.filter((l) => l.msg === 'joined room').length;
      signaling.process.kill('SIGSTOP'); // sockets stay open, nothing answers
      try {
        // Two ping intervals (10 s each) at most before the socket is declared dead.
        await edge.waitForLog((l) => l.msg === 'lost the signaling server; reconnecting', 25_000);
      } finally {
        signaling.process.kill('SIGCONT');
      }
      await edge.waitForLog(
        (l) =>
          l.msg === 'joined room' &&
          edge.logs.filter((x) => x.msg === 'joined room').length > joinedBefore,
        20_000,
      );
      const c = await client(edge);
      expect((await c.fetch('/api/device')).status).toBe(200);
    } finally {
      await edges.pop()?.stop();
      await removeStateDir(dir);
    }
  }, 90_000);
});
