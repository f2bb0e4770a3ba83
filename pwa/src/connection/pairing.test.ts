import { afterEach, describe, expect, it } from 'vitest';
import { createFakeEdge, EDGE_NAME, PHONE_ID } from '../testing/fake-edge';
import { describeAuthFailure } from './auth-failure';
import type { ConnectionState } from './connection-state';
import { createDeviceConnection, type DeviceConnection } from './device-connection';
import { isPairingCode, PairingError, pairWithDevice } from './pairing';
import { unpairOnDevice } from './unpair';

const open: DeviceConnection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function connectWithKey(edge: ReturnType<typeof createFakeEdge>, key: CryptoKey) {
  const connection = createDeviceConnection({
    deviceId: 'edge-1',
    link: edge.link,
    clientName: 'My phone',
    credentials: () => ({ key }),
    onState: () => undefined,
    backoff: { initialMs: 40, maxMs: 120, jitter: 0 },
    sessionOptions: { pingIntervalMs: 50, deadAfterMs: 400 },
  });
  open.push(connection);
  connection.retryNow();
  return connection;
}

async function until(connection: DeviceConnection, kind: ConnectionState['kind']) {
  const started = Date.now();
  while (connection.state.kind !== kind) {
    if (Date.now() - started > 5000) throw new Error(`state stayed ${connection.state.kind}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pair = (edge: ReturnType<typeof createFakeEdge>, code: string) =>
  pairWithDevice({ link: edge.link, deviceId: 'edge-1', code, clientName: 'Chrome on Android' });

describe('pairing', () => {
  it('stores a non-extractable key that authenticates later sessions', async () => {
    const edge = createFakeEdge({ code: '493027' });
    const paired = await pair(edge, '493027');
    expect(paired.edgeName).toBe(EDGE_NAME);
    expect(paired.key).toMatchObject({ type: 'secret', extractable: false });
    await expect(crypto.subtle.exportKey('raw', paired.key)).rejects.toThrow();
    expect(edge.clients.get(PHONE_ID)?.name).toBe('Chrome on Android');
    // Pairing itself sent no request; the next session proves the key and is served.
    expect(edge.requests).toEqual([]);
    const connection = connectWithKey(edge, paired.key);
    await until(connection, 'online');
    expect(await (await connection.fetch('/api/device')).text()).toBe('hello /api/device');
  });

  it('refuses a wrong code with the words for it, storing nothing', async () => {
    const edge = createFakeEdge({ code: '493027' });
    const error = await pair(edge, '111111').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PairingError);
    expect(error).toMatchObject({
      reason: 'wrong-code',
      message: expect.stringMatching(/check the 6 digits shown on the device/i),
    });
    expect(edge.clients.size).toBe(0);
    expect(edge.requests).toEqual([]);
  });

  it('says how to reopen pairing when the window is closed', async () => {
    const edge = createFakeEdge();
    const error = await pair(edge, '493027').catch((e: unknown) => e);
    expect(error).toMatchObject({
      reason: 'pairing-closed',
      message: expect.stringMatching(
        /run `peerfetch-edge pair` on the device.*within \d+ minutes/i,
      ),
    });
  });

  it('checks the code is six digits before dialling', async () => {
    const edge = createFakeEdge({ code: '493027' });
    for (const code of ['', '12345', '1234567', '12a456', ' 123456']) {
      expect(isPairingCode(code)).toBe(false);
      await expect(pair(edge, code)).rejects.toThrow(/6 digits/);
    }
    expect(edge.dials).toBe(0);
    expect(edge.attempts).toBe(0);
  });

  it('reports an unreachable device in plain words', async () => {
    const edge = createFakeEdge({ code: '493027' });
    edge.stop();
    const error = await pair(edge, '493027').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PairingError', reason: undefined });
    expect((error as Error).message).toMatch(/not connected/);
  });

  it('has words with a next step for every failure', () => {
    for (const reason of [
      'wrong-code',
      'pairing-closed',
      'not-paired',
      'device-not-verified',
      'failed',
    ] as const) {
      const { title, detail } = describeAuthFailure(reason);
      expect(title.length).toBeGreaterThan(0);
      expect(detail).toMatch(/\.$/);
    }
    expect(describeAuthFailure('not-paired').detail).toMatch(/no longer knows this app/);
  });
});

describe('removing a device', () => {
  it('tells an online device to forget this phone (DELETE, 204), after which it is not paired', async () => {
    const edge = createFakeEdge({ code: '493027' });
    const { key } = await pair(edge, '493027');
    const connection = connectWithKey(edge, key);
    await until(connection, 'online');
    expect(await unpairOnDevice(connection)).toEqual({ toldDevice: true });
    expect(edge.requests).toEqual([{ method: 'DELETE', path: '/.well-known/peerfetch/pairing' }]);
    expect(edge.clients.has(PHONE_ID)).toBe(false);
    // The same key no longer gets in.
    const again = connectWithKey(edge, key);
    await until(again, 'failed');
    expect(again.state).toMatchObject({ auth: 'not-paired' });
  });

  it('does not dial an offline device, and says so', async () => {
    const edge = createFakeEdge({ code: '493027' });
    const { key } = await pair(edge, '493027');
    edge.stop();
    const connection = connectWithKey(edge, key);
    await until(connection, 'retrying');
    const dials = edge.dials;
    expect(await unpairOnDevice(connection)).toEqual({ toldDevice: false, why: 'it is offline' });
    expect(await unpairOnDevice(undefined)).toMatchObject({ toldDevice: false });
    expect(edge.dials).toBe(dials);
  });
});
