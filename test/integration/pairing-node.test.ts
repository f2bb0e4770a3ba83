/**
 * Pairing from the Node client, for real: the code the edge logs, `peerfetch pair`, stored
 * keys that survive restarts on both sides, wrong codes, the attempt limit, and clients
 * that are not (or no longer) paired getting nothing through to the upstream.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeStateDir,
  removeStateDir,
  runClientCli,
  runEdgeCli,
  type StartedEdge,
  startEdge,
} from '../helpers/edge.js';
import {
  connectClient,
  connectPaired,
  newIdentity,
  openPairingWindow,
  pairCli,
  pairClient,
  pairingWindowOf,
} from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';
import { type StartedUpstream, startUpstream } from '../helpers/upstream.js';

let signaling: StartedSignaling;
let upstream: StartedUpstream;
let stateDir: string;
let configHome: string;
let edge: StartedEdge;
const EDGE_NAME = 'Pairing Pi';

const launch = () =>
  startEdge({
    signalingUrl: signaling.url,
    stateDir,
    name: EDGE_NAME,
    routes: { '/up': upstream.url },
  });
const cli = (args: string[]) => runClientCli(args, { configHome });
/** A 6-digit code that is not `code`. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const failures = (reason: string) =>
  edge.logs.filter((l) => l.msg === 'authentication failed' && l.reason === reason);

beforeAll(async () => {
  signaling = await startSignaling();
  upstream = await startUpstream();
  stateDir = await makeStateDir();
  configHome = await mkdtemp(join(tmpdir(), 'pf-config-'));
  edge = await launch();
});
afterAll(async () => {
  await edge?.stop();
  await upstream?.stop();
  await signaling?.stop();
  await removeStateDir(stateDir);
  await rm(configHome, { recursive: true, force: true });
});

describe('pairing the Node client', () => {
  it('opens a window with a code and link on first start, and pairs with `peerfetch pair`', async () => {
    const window = await pairingWindowOf(edge);
    expect(window.code).toMatch(/^\d{6}$/);
    expect(window.link).toBe(`${signaling.url}/#/pair?device=${edge.peerId}&code=${window.code}`);
    expect(window.expiresAt).toBeGreaterThan(Date.now() + 60_000);

    // No --device: the only edge in this network's room.
    const t0 = performance.now();
    const paired = await cli([
      'pair',
      '--signaling',
      signaling.url,
      '--code',
      window.code,
      '--name',
      'CI laptop',
    ]);
    expect(paired.stderr).toBe('');
    expect(paired.code).toBe(0);
    expect(paired.stdout.toString()).toContain(`Paired with ${EDGE_NAME} (${edge.peerId})`);
    await edge.waitForLog((l) => l.msg === 'pairing window closed' && l.reason === 'paired');

    const devices = JSON.parse((await cli(['devices', '--json'])).stdout.toString());
    expect(devices).toEqual([
      expect.objectContaining({ id: edge.peerId, name: EDGE_NAME, signalingUrl: signaling.url }),
    ]);
    expect(devices[0]).not.toHaveProperty('key');
    const file = join(configHome, 'peerfetch', 'devices.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const table = (await runEdgeCli(edge, ['clients'])).stdout.toString();
    expect(table).toMatch(/^ID\s+NAME\s+PAIRED\s+LAST SEEN/);
    expect(table).toContain('CI laptop');

    const pairMs = performance.now() - t0;
    const t1 = performance.now();
    const fetched = await cli(['fetch', '--device', EDGE_NAME, '/up/json?n=3']);
    console.log(
      `[pairing figures] \`peerfetch pair\` ${pairMs.toFixed(0)} ms, \`peerfetch fetch\` with session authentication ${(performance.now() - t1).toFixed(0)} ms (each a new process, connection and handshake)`,
    );
    expect(fetched.stderr).toBe('');
    expect(JSON.parse(fetched.stdout.toString())).toEqual({ hello: 'world', n: 3 });
  });

  it('works again after both the edge and the client restart (keys persisted)', async () => {
    const before = upstream.requestCount();
    const stopped = await edge.stop();
    expect(stopped.code).toBe(0);
    edge = await launch();
    expect(edge.logs.some((l) => l.msg === 'pairing window open')).toBe(false); // somebody is paired
    const fetched = await cli(['fetch', '--device', edge.peerId, '/up/json?n=4']);
    expect(fetched.stderr).toBe('');
    expect(JSON.parse(fetched.stdout.toString())).toEqual({ hello: 'world', n: 4 });
    expect(upstream.requestCount()).toBe(before + 1);
    await edge.waitForLog((l) => l.msg === 'client authenticated' && l.how === 'key');
  });

  it('refuses a wrong code, closes the window after five attempts, then refuses pairing', async () => {
    const window = await openPairingWindow(edge);
    expect(window.attemptsLeft).toBe(5);
    const bad = wrong(window.code);
    const tried = await pairCli(signaling.url, edge, configHome, bad);
    expect(tried.code).toBe(10);
    expect(tried.stderr).toMatch(/pairing code was wrong/);
    const same = await openPairingWindow(edge);
    expect(same.code).toBe(window.code); // same window, one attempt used
    expect(same.attemptsLeft).toBe(4);
    for (let i = 0; i < 4; i++) {
      await expect(pairClient(signaling.port, edge, bad)).rejects.toMatchObject({
        cause: { reason: 'wrong-code' },
      });
    }
    await edge.waitForLog((l) => l.msg === 'pairing window closed' && l.reason === 'attempts used');
    expect(failures('wrong-code').length).toBe(5);
    // The right code, too late: the window is closed.
    const late = await pairCli(signaling.url, edge, configHome, window.code);
    expect(late.code).toBe(11);
    expect(late.stderr).toMatch(/not accepting new pairings/);
    expect(failures('pairing-closed').length).toBe(1);
  });

  it('disconnects an unpaired client after the failed handshake; the upstream sees nothing', async () => {
    const before = upstream.requestCount();
    const stranger = newIdentity();
    const error = await connectClient(signaling.port, edge.peerId, {
      identity: stranger,
      credentials: { key: await keyNobodyHolds() },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'handshake-failed', cause: { reason: 'not-paired' } });
    await edge.waitForLog(
      (l) =>
        l.msg === 'authentication failed' &&
        l.clientId === stranger.id &&
        l.reason === 'not-paired',
    );
    await edge.waitForLog((l) => l.client === stranger.id && l.msg === 'peerfetch session failed');
    expect(upstream.requestCount()).toBe(before);
  });

  it('after `unpair`, ends the session of that client and refuses it; the upstream sees nothing more', async () => {
    const paired = await pairClient(signaling.port, edge);
    const session = await connectPaired(signaling.port, edge, paired);
    expect((await session.fetch('/up/json')).status).toBe(200);
    const before = upstream.requestCount();
    const unpaired = await runEdgeCli(edge, ['unpair', paired.id]);
    expect(unpaired.code).toBe(0);
    expect(unpaired.stdout.toString()).toContain(`Unpaired integration test (${paired.id})`);
    await session.session.closed;
    await session.close();
    await expect(connectPaired(signaling.port, edge, paired)).rejects.toMatchObject({
      cause: { reason: 'not-paired' },
    });
    expect(upstream.requestCount()).toBe(before);
    expect((await runEdgeCli(edge, ['clients'])).stdout.toString()).not.toContain(paired.id);
    const unknown = await runEdgeCli(edge, ['unpair', 'nobody-here']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no paired client has the id or name "nobody-here"/);
  });

  it('forgets a client that asks with DELETE /.well-known/peerfetch/pairing', async () => {
    const paired = await pairClient(signaling.port, edge);
    const session = await connectPaired(signaling.port, edge, paired);
    const response = await session.fetch('/.well-known/peerfetch/pairing', { method: 'DELETE' });
    expect(response.status).toBe(204);
    await session.session.closed;
    await session.close();
    await edge.waitForLog(
      (l) => l.msg === 'client asked to be forgotten' && l.clientId === paired.id,
    );
    await expect(connectPaired(signaling.port, edge, paired)).rejects.toMatchObject({
      cause: { reason: 'not-paired' },
    });
    const saved = JSON.parse(await readFile(join(stateDir, 'paired-clients.json'), 'utf8'));
    expect(saved.clients.map((c: { id: string }) => c.id)).not.toContain(paired.id);
  });

  it('`peerfetch-edge pair` prints the code, the link and a QR code of the link', async () => {
    const result = await runEdgeCli(edge, ['pair']);
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    const window = await openPairingWindow(edge);
    expect(text).toContain(`Pairing code: ${window.code.slice(0, 3)} ${window.code.slice(3)}`);
    expect(text).toContain(window.link);
    expect(text.split('\n').filter((line) => /[▄▀█]/.test(line)).length).toBeGreaterThan(10);
  });
});

/** A pairing key nobody holds on the edge. */
async function keyNobodyHolds(): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    crypto.getRandomValues(new Uint8Array(32)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
}
