/**
 * GET /ice: STUN only without TURN_SECRET; TURN credentials in coturn's shared-secret scheme.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePeer, type OpenNodePeer } from '../helpers/peerjs-node.js';
import { httpRequest, type StartedSignaling, startSignaling } from '../helpers/signaling.js';

interface IceAnswer {
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}

const TURN_SECRET = 'coturn-static-auth-secret-for-tests';
const STUN = 'stun:stun.test.invalid:3478';
const TURN = ['turn:turn.test.invalid:3478?transport=udp', 'turns:turn.test.invalid:5349'];

const peers: OpenNodePeer[] = [];
afterAll(() => {
  for (const { peer } of peers) peer.destroy();
});

async function iceFor(server: StartedSignaling) {
  const peer = await createNodePeer({ port: server.port });
  peers.push(peer);
  const result = await httpRequest(`${server.url}/ice?id=${peer.id}&token=${peer.token}`);
  expect(result.status, result.text).toBe(200);
  return { peer, answer: result.json as IceAnswer, headers: result.headers };
}

describe('ICE without TURN_SECRET', () => {
  let server: StartedSignaling;
  beforeAll(async () => {
    server = await startSignaling({ STUN_URLS: STUN });
  });
  afterAll(() => server.stop());

  it('gives only the STUN URLs', async () => {
    const { answer } = await iceFor(server);
    expect(answer).toEqual({ iceServers: [{ urls: [STUN] }] });
  });
});

describe('ICE with TURN_SECRET', () => {
  let server: StartedSignaling;
  beforeAll(async () => {
    server = await startSignaling({
      STUN_URLS: STUN,
      TURN_URLS: TURN.join(','),
      TURN_SECRET,
      TURN_TTL: '600',
    });
  });
  afterAll(() => server.stop());

  it('gives TURN credentials that verify against the secret and expire after TURN_TTL', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { peer, answer, headers } = await iceFor(server);
    const after = Math.floor(Date.now() / 1000);
    expect(headers['cache-control']).toBe('no-store');
    expect(answer.iceServers[0]).toEqual({ urls: [STUN] });
    const turn = answer.iceServers[1]!;
    expect(turn.urls).toEqual(TURN);
    const [expiry, id] = turn.username!.split(':');
    expect(id).toBe(peer.id);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    expect(turn.credential).toBe(
      createHmac('sha1', TURN_SECRET).update(turn.username!).digest('base64'),
    );
    expect(turn.credential).not.toBe(
      createHmac('sha1', 'some-other-secret').update(turn.username!).digest('base64'),
    );
  });
});
