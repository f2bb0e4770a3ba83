/**
 * Attacks on pairing and session authentication with real processes: a relay in the
 * middle (a malicious signaling server's doing), an impostor under the edge's peer id,
 * and a recorded handshake replayed into a new session.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authenticatorFor,
  createSessionManager,
  holdMessages,
  type IncomingConnection,
} from '@peerfetch/edge';
import { decodeFrame, FrameType, importPairingKey } from '@peerfetch/shared';
import { rawFrames } from '@peerfetch/shared/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeStateDir,
  removeStateDir,
  runClientCli,
  type StartedEdge,
  startEdge,
} from '../helpers/edge.js';
import {
  connectClient,
  openPairingWindow,
  type PairedIdentity,
  pairCli,
  pairClient,
} from '../helpers/pairing.js';
import { createNodePeer, waitForOpen } from '../helpers/peerjs-node.js';
import { startRelay } from '../helpers/relay.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { type StartedUpstream, startUpstream } from '../helpers/upstream.js';

let signaling: StartedSignaling;
/** Run by the attacker: phones that use it reach the relay instead of the edge. */
let malicious: StartedSignaling;
let upstream: StartedUpstream;
let stateDir: string;
let configHome: string;
let edge: StartedEdge;

const launch = () =>
  startEdge({ signalingUrl: signaling.url, stateDir, routes: { '/up': upstream.url } });

beforeAll(async () => {
  signaling = await startSignaling();
  malicious = await startSignaling();
  upstream = await startUpstream();
  stateDir = await makeStateDir();
  configHome = await mkdtemp(join(tmpdir(), 'pf-config-'));
  edge = await launch();
  // The phone pairs for real first (directly), so the session tests have a key to abuse.
  const paired = await pairCli(signaling.url, edge, configHome);
  if (paired.code !== 0) throw new Error(`pairing failed: ${paired.stderr}`);
});
afterAll(async () => {
  await edge?.stop();
  await upstream?.stop();
  await malicious?.stop();
  await signaling?.stop();
  await removeStateDir(stateDir);
  await rm(configHome, { recursive: true, force: true });
});

const pairingAttempts = () => edge.logs.filter((l) => l.msg === 'pairing attempt').length;

describe('a relay in the middle (malicious signaling server)', () => {
  it('cannot pair with the right code, and never sees the code', async () => {
    const relay = await startRelay({
      maliciousPort: malicious.port,
      realPort: signaling.port,
      edgeId: edge.peerId,
    });
    try {
      const window = await openPairingWindow(edge);
      const attemptsBefore = pairingAttempts();
      const otherPhone = await mkdtemp(join(tmpdir(), 'pf-config-'));
      const result = await runClientCli(
        ['pair', '--signaling', malicious.url, '--device', edge.peerId, '--code', window.code],
        { configHome: otherPhone },
      );
      await rm(otherPhone, { recursive: true, force: true });
      // The two sides ran CPace over different DTLS fingerprints, so the generators differ.
      expect(result.stderr).toMatch(/pairing code was wrong/);
      expect(result.code, result.stderr).toBe(10);
      expect(relay.phones).toHaveLength(1);
      await edge.waitForLog(
        (l) =>
          l.msg === 'authentication failed' &&
          l.clientId === relay.phones[0] &&
          l.reason === 'wrong-code',
      );
      expect(pairingAttempts()).toBe(attemptsBefore + 1); // the edge counted it
      expect((await openPairingWindow(edge)).attemptsLeft).toBe(window.attemptsLeft - 1);
      // What the relay saw: CPace shares (points masked by secret scalars on a generator
      // derived from the code and the channel) and HMAC confirmations keyed by a session
      // key the relay cannot compute. To test a guessed code offline it would need the
      // discrete log of a share; each guess needs a fresh online run instead, which the
      // edge counts. And the code itself never travels.
      expect(relay.messages.length).toBeGreaterThanOrEqual(4);
      const relayed = Buffer.concat(relay.messages.map((m) => m.bytes));
      expect(relayed.includes(Buffer.from(window.code, 'ascii'))).toBe(false);
      for (const m of relay.messages)
        expect(m.bytes.includes(Buffer.from(window.code))).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('makes a paired phone report "could not be verified" and send no request', async () => {
    const phone = JSON.parse(
      await readFile(join(configHome, 'peerfetch', 'devices.json'), 'utf8'),
    ) as { client: { id: string; token: string } };
    const relay = await startRelay({
      maliciousPort: malicious.port,
      realPort: signaling.port,
      edgeId: edge.peerId,
      phoneTokens: { [phone.client.id]: phone.client.token },
    });
    try {
      const before = upstream.requestCount();
      const result = await runClientCli(
        ['fetch', '--device', edge.peerId, '--signaling', malicious.url, '/up/json'],
        { configHome },
      );
      expect(result.code).toBe(13);
      expect(result.stderr).toMatch(/could not be verified/);
      expect(result.stdout.length).toBe(0);
      expect(relay.phones).toHaveLength(1);
      // The edge's proof covered the fingerprints it saw (the relay's); the phone checked
      // it against the ones it saw, refused, and sent no request through the relay.
      expect(relay.messages.some((m) => m.direction === 'edge→phone')).toBe(true);
      expect(upstream.requestCount()).toBe(before);
    } finally {
      await relay.stop();
    }
  });
});

describe('an impostor under the edge peer id', () => {
  it('is rejected by the phone with device-not-verified', async () => {
    // The real server keeps the edge's id for the edge's token even while it is offline; on
    // a signaling server that does not (hostile, or restarted and raced), someone registers
    // the id and runs a complete edge that lacks only the pairing key (it answers every
    // client with a key of its own).
    await edge.stop();
    const hostile = await startSignaling();
    const { peer } = await createNodePeer({ port: hostile.port, id: edge.peerId });
    const forged = await importPairingKey(crypto.getRandomValues(new Uint8Array(32)));
    let served = 0;
    const impostor = createSessionManager({
      handler: async () => {
        served++;
        return new Response('forged');
      },
      logger: pino({ level: 'silent' }),
      maxSessions: 4,
      maxConcurrentRequests: 4,
      maxMessageSizeOf: () => 65536,
      authenticatorFor: (connection, log) =>
        authenticatorFor(
          {
            edgeId: edge.peerId,
            edgeName: 'Pairing Pi',
            findClientKey: async () => forged,
            pairing: { beginAttempt: () => undefined, complete: async () => {} },
          },
          connection,
          log,
        ),
      forgetClient: async () => {},
    });
    peer.on('connection', (c) => impostor.accept(c as unknown as IncomingConnection));
    try {
      const result = await runClientCli(
        ['fetch', '--device', edge.peerId, '--signaling', hostile.url, '/up/json'],
        { configHome },
      );
      expect(result.code).toBe(13);
      expect(result.stderr).toMatch(/could not be verified/);
      expect(served).toBe(0);
    } finally {
      await impostor.closeAll();
      peer.destroy();
      await hostile.stop();
      edge = await launch();
    }
  });
});

describe('a recorded handshake', () => {
  let paired: PairedIdentity;
  beforeAll(async () => {
    paired = await pairClient(signaling.port, edge);
  });

  it('replayed into a new session fails, and nothing reaches the upstream', async () => {
    // Record a complete, successful session (hello, auth, proof, a request) from the wire.
    const recorded: Uint8Array[] = [];
    const original = await connectClient(signaling.port, edge.peerId, {
      identity: { id: paired.id, token: paired.token },
      credentials: { key: paired.key },
      record: recorded,
    });
    expect((await original.fetch('/up/json')).status).toBe(200);
    await original.close();
    expect(recorded.length).toBeGreaterThanOrEqual(4); // HELLO, auth, auth-proof, REQUEST
    const before = upstream.requestCount();
    const failuresBefore = edge.logs.filter((l) => l.msg === 'authentication failed').length;

    // The attacker, under the same client id, plays the recording into a new connection.
    const { peer } = await createNodePeer({
      port: signaling.port,
      id: paired.id,
      token: paired.token,
    });
    try {
      const connection = peer.connect(edge.peerId, { reliable: true, serialization: 'raw' });
      const channel = holdMessages(connection.dataChannel, connection.peerConnection);
      const received: unknown[] = [];
      let refused = false;
      channel.addEventListener('message', (e) => {
        received.push(e);
        const data = new Uint8Array((e as MessageEvent<ArrayBuffer>).data);
        if (decodeFrame(data, 1 << 20).type === FrameType.Error) refused = true;
      });
      channel.release();
      const closed = new Promise<void>((r) => connection.on('close', () => r()));
      await waitForOpen(connection);
      for (const message of [
        ...recorded,
        rawFrames.request(9, { method: 'GET', path: '/up/json', headers: [] }),
      ]) {
        // Once the edge has refused it closes the channel: a write then races that close.
        if (refused || !connection.open) break;
        channel.send(message as Uint8Array<ArrayBuffer>);
        await new Promise((r) => setTimeout(r, 150)); // let the edge answer, as a live peer would
      }
      await closed;
      await edge.waitForLog(
        (l) =>
          l.msg === 'authentication failed' &&
          l.clientId === paired.id &&
          l.reason === 'not-paired' &&
          edge.logs.filter((x) => x.msg === 'authentication failed').length > failuresBefore,
      );
      expect(upstream.requestCount()).toBe(before);
      expect(received.length).toBeGreaterThan(0); // the edge did talk: HELLO, a fresh challenge, a refusal
    } finally {
      peer.destroy();
    }
  });
});
