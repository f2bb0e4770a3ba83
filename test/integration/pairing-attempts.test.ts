/**
 * The pairing window against a stranger, with the real built edge: junk pairing requests
 * cost it nothing, a real wrong code costs one attempt, one client id cannot spend the
 * attempts in a burst, and a SIGKILL and restart bring back the same window, not a new one.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuthMessage, decodeAuthMessage, encodeAuthMessage } from '@peerfetch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import {
  type ClientIdentity,
  connectClient,
  connectWithAuthenticator,
  newIdentity,
  openPairingWindow,
  pairClient,
  pairingWindowOf,
} from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let edge: StartedEdge;
let code: string;

beforeAll(async () => {
  signaling = await startSignaling();
  // Nobody is paired: the edge opens its window on start.
  edge = await startEdge({ signalingUrl: signaling.url });
  code = (await pairingWindowOf(edge)).code;
});
afterAll(async () => {
  await edge?.stop();
  await signaling?.stop();
  if (edge) await removeStateDir(edge.stateDir);
});

const wrongCode = () => (code === '000000' ? '000001' : '000000');
const logsOf = (msg: string, clientId: string) =>
  edge.logs.filter((l) => l.msg === msg && l.clientId === clientId);

/** Sends one AUTH payload as the first message of a session and returns the edge's answers. */
async function sendFirst(payload: Uint8Array): Promise<{ who: string; answers: AuthMessage[] }> {
  const identity = newIdentity();
  const answers: AuthMessage[] = [];
  const failed = await connectWithAuthenticator(
    signaling.port,
    edge.peerId,
    identity,
    async (channel) => {
      channel.send(payload);
      answers.push(decodeAuthMessage(await channel.receive()));
      throw new Error('the edge answered; this client goes no further');
    },
  ).then(
    (session) => session.close().then(() => false),
    () => true,
  );
  expect(failed, 'a junk pairing must not open a session').toBe(true);
  return { who: identity.id, answers };
}

/** A pairing attempt with the stock client; resolves with the refusal reason. */
async function attempt(identity: ClientIdentity, pairingCode: string): Promise<string> {
  const error = await connectClient(signaling.port, edge.peerId, {
    identity,
    credentials: { pairingCode, onPaired: () => {} },
  }).then(
    async (session) => {
      await session.close();
      throw new Error('the pairing succeeded');
    },
    (e: unknown) => e as Error,
  );
  return String((error.cause as { reason?: string } | undefined)?.reason);
}

const share = new Uint8Array(32).fill(0xff); // not a ristretto255 encoding
const prefixFree = (...parts: Uint8Array[]) =>
  new Uint8Array(parts.flatMap((p) => [p.byteLength, ...p]));
const junk: [string, () => Uint8Array][] = [
  ['bytes that are no message', () => new Uint8Array([0xc1, 0xc1, 0xc1])],
  ['a pair without fields', () => encodeAuthMessage({ t: 'pair' } as unknown as AuthMessage)],
  [
    'a pair whose share is no CPace message',
    () =>
      encodeAuthMessage({
        t: 'pair',
        clientName: 'junk',
        sid: new Uint8Array(16),
        msg: new Uint8Array(64).fill(7),
      }),
  ],
  [
    'a pair whose share is not a group element',
    () =>
      encodeAuthMessage({
        t: 'pair',
        clientName: 'junk',
        sid: new Uint8Array(16),
        msg: prefixFree(share, new TextEncoder().encode('x')),
      }),
  ],
  [
    'a pair with the identity element as its share',
    () =>
      encodeAuthMessage({
        t: 'pair',
        clientName: 'junk',
        sid: new Uint8Array(16),
        msg: prefixFree(new Uint8Array(32), new TextEncoder().encode('x')),
      }),
  ],
  [
    'a pair with a short session id',
    () =>
      encodeAuthMessage({
        t: 'pair',
        clientName: 'junk',
        sid: new Uint8Array(3),
        msg: prefixFree(new Uint8Array(32), new TextEncoder().encode('x')),
      }),
  ],
];

describe('pairing attempts on the real edge', () => {
  it('refuses junk pairing requests without spending the window (more junk than attempts)', async () => {
    expect(junk.length).toBeGreaterThan(5);
    for (const [what, payload] of junk) {
      const { who, answers } = await sendFirst(payload());
      // Delivered and refused: the edge answered this very client, and logged why.
      expect(answers, what).toEqual([{ t: 'refused', reason: 'failed' }]);
      await edge.waitForLog(
        (l) => l.msg === 'authentication failed' && l.clientId === who && l.reason === 'failed',
      );
      expect(logsOf('pairing attempt', who), what).toEqual([]);
    }
    const window = await openPairingWindow(edge);
    expect(window.code).toBe(code);
    expect(window.attemptsLeft).toBe(5);
  });

  let phone: ClientIdentity;

  it('counts a real attempt with a wrong code', async () => {
    phone = newIdentity();
    expect(await attempt(phone, wrongCode())).toBe('wrong-code');
    expect(logsOf('pairing attempt', phone.id)).toHaveLength(1);
    expect((await openPairingWindow(edge)).attemptsLeft).toBe(4);
    // One failure, one warning (it was four: the authenticator, the session, the handshake and
    // the session's end each told it). The session's own account of it is at debug level.
    await edge.waitForLog((l) => l.msg === 'peerfetch session failed' && l.client === phone.id);
    const warnings = edge.logs.filter(
      (l) => Number(l.level) >= 40 && (l.client === phone.id || l.clientId === phone.id),
    );
    expect(warnings.map((l) => [l.msg, l.reason])).toEqual([
      ['authentication failed', 'wrong-code'],
    ]);
  });

  it('lets a client id retry at once, then paces it: one attempt too many is refused and not counted', async () => {
    const quick = newIdentity();
    const started = Date.now();
    // A person who mistyped retries at once: both count, as any real attempt.
    expect(await attempt(quick, wrongCode())).toBe('wrong-code');
    expect(await attempt(quick, wrongCode())).toBe('wrong-code');
    // A third at once is one too many for this id.
    expect(await attempt(quick, wrongCode())).toBe('failed');
    expect(Date.now() - started, 'all three within the pacing interval').toBeLessThan(10_000);
    await edge.waitForLog(
      (l) =>
        l.msg === 'pairing attempt refused: too soon after the last' && l.clientId === quick.id,
    );
    expect(logsOf('pairing attempt', quick.id)).toHaveLength(2);
    expect((await openPairingWindow(edge)).attemptsLeft).toBe(2);
    // Another id is not held up by it.
    const other = newIdentity();
    expect(await attempt(other, wrongCode())).toBe('wrong-code');
    expect(logsOf('pairing attempt', other.id)).toHaveLength(1);
    expect((await openPairingWindow(edge)).attemptsLeft).toBe(1);
  });

  it('brings back the same window, code and attempts left after SIGKILL and restart', async () => {
    const before = await openPairingWindow(edge);
    expect(before.attemptsLeft).toBe(1);
    await edge.kill();
    edge = await startEdge({ signalingUrl: signaling.url, stateDir: edge.stateDir });
    const restored = await edge.waitForLog((l) => l.msg === 'pairing window open');
    expect(restored).toMatchObject({ code, how: 'restored', attemptsLeft: 1 });
    expect(await openPairingWindow(edge)).toEqual(before);
    // In force, not only shown: the right code pairs as the window's fifth and last attempt.
    const last = await pairClient(signaling.port, edge, code);
    const counted = await edge.waitForLog(
      (l) => l.msg === 'pairing attempt' && l.clientId === last.id,
    );
    expect(counted.attempt).toBe(5);
    await edge.waitForLog((l) => l.msg === 'client paired' && l.clientId === last.id);
    // Paired, the window leaves the disk.
    const windowFile = join(edge.stateDir, 'pairing-window.json');
    await expect(stat(windowFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
