/**
 * Peer ids are reserved for the token that registered them: strangers with another token
 * are refused while the owner is connected, after it left, and after it was SIGKILLed; the
 * owner's own token takes over a socket that is still open; a SIGKILLed edge restarted is
 * back under its id at once while a stranger keeps trying to take it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStateDir, removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { createNodePeer, randomPeerId } from '../helpers/peerjs-node.js';
import {
  httpRequest,
  metricValue,
  registerRaw,
  type StartedSignaling,
  startSignaling,
} from '../helpers/signaling.js';

let server: StartedSignaling;

beforeAll(async () => {
  // The stranger below tries ten times a second: its attempts must reach the reservation
  // check, not stop at the new-socket rate limit.
  server = await startSignaling({ WS_RATE_LIMIT: '100000' });
});
afterAll(() => server.stop());

const refusedAsTaken = () =>
  metricValue(server, 'peerfetch_signaling_rejections_total', { reason: 'id_reserved' });

/** True while `id`/`token` is a peer connected to the server (the HTTP APIs accept it). */
async function isConnected(id: string, token: string): Promise<boolean> {
  const result = await httpRequest(`${server.url}/ice?id=${id}&token=${token}`);
  return result.status === 200;
}

/** Registers `id` with the stock PeerJS client; resolves with the error type it got. */
async function strangerRegisters(id: string): Promise<string> {
  try {
    const { peer } = await createNodePeer({ port: server.port, id });
    peer.destroy();
    return 'open';
  } catch (error) {
    return String((error as { type?: string }).type);
  }
}

describe('peer id reservations (stock PeerJS clients)', () => {
  it('refuses a registered id to a stranger with another token (unavailable-id)', async () => {
    const owner = await createNodePeer({ port: server.port });
    const before = await refusedAsTaken();
    expect(await strangerRegisters(owner.id)).toBe('unavailable-id');
    expect(await refusedAsTaken()).toBe(before + 1);
    expect(await isConnected(owner.id, owner.token)).toBe(true);
    owner.peer.destroy();
  });

  it('refuses an id whose owner has just disconnected, and gives it back to its owner', async () => {
    const owner = await createNodePeer({ port: server.port });
    owner.peer.destroy();
    // The server has seen the socket close: the id is no longer a connected peer.
    await expect.poll(() => isConnected(owner.id, owner.token), { timeout: 5000 }).toBe(false);
    const before = await refusedAsTaken();
    expect(await strangerRegisters(owner.id)).toBe('unavailable-id');
    const raw = await registerRaw({ port: server.port, id: owner.id, token: 'stranger-token' });
    expect(raw.message).toEqual({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
    expect(await raw.closed).toBeGreaterThan(0);
    expect(await refusedAsTaken()).toBe(before + 2);

    const back = await createNodePeer({ port: server.port, id: owner.id, token: owner.token });
    expect(await isConnected(owner.id, owner.token)).toBe(true);
    back.peer.destroy();
  });
});

describe('the same token takes over an open socket', () => {
  it('says OPEN to the new socket, closes the old one, and routes to the new one', async () => {
    const id = randomPeerId('edge');
    const token = 'owner-token-0123456789';
    const old = await registerRaw({ port: server.port, id, token });
    expect(old.message.type).toBe('OPEN');
    const takeoversBefore = await metricValue(server, 'peerfetch_signaling_takeovers_total');

    // The old socket stays open, as a crashed edge's half-open one would.
    const fresh = await registerRaw({ port: server.port, id, token });
    expect(fresh.message.type).toBe('OPEN');
    await old.closed;
    expect(old.later).toEqual([
      { type: 'ERROR', payload: { msg: expect.stringMatching(/replaced/) } },
    ]);
    expect(await metricValue(server, 'peerfetch_signaling_takeovers_total')).toBe(
      takeoversBefore + 1,
    );

    // The old socket's close did not unregister the new one: messages reach it.
    expect(await isConnected(id, token)).toBe(true);
    const sender = await registerRaw({ port: server.port, id: randomPeerId(), token: 'sender1' });
    sender.socket.send(JSON.stringify({ type: 'OFFER', dst: id, payload: { probe: 1 } }));
    await expect.poll(() => fresh.later.length, { timeout: 5000 }).toBe(1);
    expect(fresh.later[0]).toMatchObject({ type: 'OFFER', payload: { probe: 1 } });
    fresh.socket.close();
    sender.socket.close();
  });
});

describe('a SIGKILLed edge', () => {
  let stateDir: string;
  let edge: StartedEdge | undefined;
  beforeAll(async () => {
    stateDir = await makeStateDir();
  });
  afterAll(async () => {
    await edge?.stop();
    await removeStateDir(stateDir);
  });

  it('is back under its id within 10 s while a stranger keeps trying to take it', async () => {
    edge = await startEdge({ signalingUrl: server.url, stateDir });
    const identity = JSON.parse(await readFile(join(stateDir, 'identity.json'), 'utf8')) as {
      peerId: string;
      token: string;
    };
    expect(identity.peerId).toBe(edge.peerId);
    const refusedBefore = await refusedAsTaken();

    // The stranger: a bare socket for the edge's id every ~100 ms, from its own address.
    const outcomes: { type: string; at: number }[] = [];
    let trying = true;
    const stranger = (async () => {
      while (trying) {
        const attempt = await registerRaw({
          port: server.port,
          id: identity.peerId,
          token: 'stranger-token-0123456789',
          localAddress: '127.0.0.66',
        });
        outcomes.push({ type: attempt.message.type, at: Date.now() });
        attempt.socket.close();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await edge.kill();
    const killedAt = Date.now();
    await expect
      .poll(() => isConnected(identity.peerId, identity.token), { timeout: 5000 })
      .toBe(false);
    // With its owner gone, the stock client is refused too.
    expect(await strangerRegisters(identity.peerId)).toBe('unavailable-id');
    await new Promise((r) => setTimeout(r, 500));

    const restartedAt = Date.now();
    edge = await startEdge({ signalingUrl: server.url, stateDir });
    const joinedAt = Date.now();
    expect(edge.peerId).toBe(identity.peerId);
    expect(edge.logs.some((l) => l.msg === 'registered with signaling')).toBe(true);
    expect(joinedAt - restartedAt).toBeLessThan(10_000);
    expect(edge.logs.some((l) => /refuses this peer id/.test(String(l.msg)))).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    trying = false;
    await stranger;

    // The attack ran through the whole restart, reached the server and was refused each time.
    const duringOutage = outcomes.filter((o) => o.at > killedAt && o.at < joinedAt);
    expect(duringOutage.length).toBeGreaterThanOrEqual(((joinedAt - killedAt) / 100) * 0.4);
    expect(outcomes.filter((o) => o.at > joinedAt).length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.type === 'ID-TAKEN')).toBe(true);
    expect(await refusedAsTaken()).toBe(refusedBefore + outcomes.length + 1);
    expect(await isConnected(identity.peerId, identity.token)).toBe(true);
  });
});

describe('a takeover of a socket that stopped beating', () => {
  let quiet: StartedSignaling;
  beforeAll(async () => {
    quiet = await startSignaling({ ALIVE_TIMEOUT: '10000' });
  });
  afterAll(() => quiet.stop());

  it('is not timed out by the old socket’s last heartbeat', async () => {
    const id = randomPeerId('edge');
    const token = 'owner-token-quiet-0123';
    // Neither socket ever sends a heartbeat: the first one plays a crashed, half-open edge.
    const old = await registerRaw({ port: quiet.port, id, token });
    expect(old.message.type).toBe('OPEN');
    await new Promise((r) => setTimeout(r, 7000));
    const fresh = await registerRaw({ port: quiet.port, id, token });
    expect(fresh.message.type).toBe('OPEN');
    await old.closed;
    // Past ALIVE_TIMEOUT after the old socket's last sign of life, not after the takeover.
    await new Promise((r) => setTimeout(r, 5000));
    expect(fresh.socket.readyState).toBe(fresh.socket.OPEN);
    const ice = await httpRequest(`${quiet.url}/ice?id=${id}&token=${token}`);
    expect(ice.status).toBe(200);
    // And the server still times out a socket that stays silent.
    await fresh.closed;
  }, 40_000);
});
