/**
 * PeerFetch across real NATs, in the internet in a box (test/helpers/internet): the phone pairs
 * at home, finding the edge in the room of their shared public address, then reaches it from
 * a friend's network (cone NAT: peer to peer) and from cellular (symmetric NAT: relayed by
 * TURN). Every test checks the path the phone's peer connection really selected.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnAllocation } from '../helpers/internet/coturn.js';
import { describePath, pathKind } from '../helpers/internet/ice-path.js';
import { type InternetStack, startInternetStack } from '../helpers/internet/stack.js';

const BIG_FILE = 'big.bin';
const BIG_BYTES = randomBytes(16 * 1024 * 1024);
const BIG_SHA256 = createHash('sha256').update(BIG_BYTES).digest('hex');

let stack: InternetStack;
let mediaDir: string;

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'pf-media-'));
  await writeFile(join(mediaDir, BIG_FILE), BIG_BYTES);
  stack = await startInternetStack({ mediaDir });
});
afterAll(async () => {
  await stack?.stop();
  await rm(mediaDir, { recursive: true, force: true });
});

/** The allocations coturn granted after those in `earlier` (an earlier `allocations()`). */
function allocationsSince(earlier: TurnAllocation[]): TurnAllocation[] {
  const old = new Set(earlier.map((a) => a.session));
  return stack.coturn.allocations().filter((a) => !old.has(a.session));
}

const relayedBytes = (allocations: TurnAllocation[]) =>
  allocations.reduce((sum, a) => sum + a.peerBytes, 0);

describe('on the home network', () => {
  it('finds the edge by the shared public address, pairs, and fetches over a direct path', async () => {
    const { internet, edge } = stack;
    const paired = await stack.pairPhoneAtHome();
    expect(paired.stderr).toBe('');
    expect(paired.code).toBe(0);
    expect(paired.stdout.toString()).toContain(edge.peerId);

    const fetched = await stack.phoneCli(['fetch', '--device', edge.peerId, '/api/device']);
    expect(fetched.code).toBe(0);
    expect(JSON.parse(fetched.stdout.toString())).toHaveProperty('hostname');

    await stack.withPhoneSession('home', async (phone) => {
      expect((await phone.fetch('/api/device')).status).toBe(200);
      const path = await phone.path();
      console.log(describePath(path));
      expect(pathKind(path)).toBe('direct on the network');
      expect(path.local.address).toBe(internet.plan.networks.home.phone);
      expect(path.remote.address).toBe(internet.plan.edge);
    });
  });

  it('does not show the edge to a phone behind another public address', async () => {
    await stack.internet.movePhone('remote');
    const result = await stack.phoneCli([
      'pair',
      '--signaling',
      stack.signaling.url,
      '--code',
      '123456',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no device is online in this network/);
  });
});

describe('away from home', () => {
  it('reaches the edge from behind a cone NAT, peer to peer', async () => {
    const { internet } = stack;
    await stack.withPhoneSession('remote', async (phone) => {
      expect((await phone.fetch('/api/device')).status).toBe(200);
      // ICE takes the first pair that works (often a relay) and moves to a better one as its
      // checks succeed: wait for that, then use it.
      const settled = Date.now();
      await expect
        .poll(async () => pathKind(await phone.path()), { timeout: 15_000, interval: 250 })
        .toBe('peer-to-peer across NATs');
      console.log(`cone NAT: peer to peer ${Date.now() - settled} ms after the first fetch`);
      expect((await phone.fetch('/api/device')).status).toBe(200);
      const path = await phone.path();
      console.log(describePath(path));
      expect(pathKind(path), path.tried.join('\n')).toBe('peer-to-peer across NATs');
      expect(path.remote.address).toBe(internet.plan.networks.home.publicAddress);
    });
  });

  it('reaches the edge from behind a symmetric NAT, relayed by TURN', async () => {
    const { internet, coturn } = stack;
    const earlier = coturn.allocations();
    await stack.withPhoneSession('cellular', async (phone) => {
      expect((await phone.fetch('/api/device')).status).toBe(200);
      const path = await phone.path();
      console.log(describePath(path));
      expect(pathKind(path), path.tried.join('\n')).toBe('relayed by TURN');
      const relay = path.local.candidateType === 'relay' ? path.local : path.remote;
      expect(relay.address).toBe(internet.plan.server);
    });
    // coturn granted allocations for this session and relayed its packets.
    const made = allocationsSince(earlier);
    expect(made.map((a) => a.username).join(' ')).toContain(stack.edge.peerId);
    await expect.poll(() => relayedBytes(allocationsSince(earlier))).toBeGreaterThan(0);
    // The shipped config's denied-peer-ip kept the relay off the home network's addresses.
    expect(coturn.deniedPeers()).toContain(internet.plan.edge);
    // The CLI too (one client process at a time: they share the stored peer id).
    const fetched = await stack.phoneCli(['fetch', '--device', stack.edge.peerId, '/api/device']);
    expect(fetched.stderr).toBe('');
    expect(fetched.code).toBe(0);
  });

  it('downloads 16 MiB through TURN with the content intact', async () => {
    const earlier = stack.coturn.allocations();
    await stack.withPhoneSession('cellular', async (phone) => {
      const result = await phone.fetch(`/api/media/${BIG_FILE}`);
      expect(result.status).toBe(200);
      expect(result.bytes).toBe(BIG_BYTES.length);
      expect(result.sha256).toBe(BIG_SHA256);
      const path = await phone.path();
      console.log(describePath(path));
      expect(pathKind(path), path.tried.join('\n')).toBe('relayed by TURN');
      console.log(`16 MiB through TURN in ${result.ms} ms`);
    });
    // What coturn relayed for this session (it logs that about once a second). ICE may move
    // between relayed pairs mid-download, so all the session's allocations are added up.
    await expect
      .poll(() => relayedBytes(allocationsSince(earlier)), { timeout: 10_000 })
      .toBeGreaterThan(BIG_BYTES.length);
  });
});
