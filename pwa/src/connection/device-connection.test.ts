import { AuthenticationError } from '@peerfetch/shared';
import { describe, expect, it } from 'vitest';
import { deviceConnectionHarness, until } from '../testing/device-connection-harness';
import { createFakeEdge, PHONE_ID, randomPairing } from '../testing/fake-edge';
import type { ConnectionState } from './connection-state';
import { createDeviceConnection } from './device-connection';

const harness = deviceConnectionHarness();
const { pairedEdge, connect } = harness;

describe('device connection', () => {
  it('goes online, answers requests, and reports RTT and a direct path', async () => {
    const edge = pairedEdge();
    const seen: ConnectionState[] = [];
    const connection = connect(edge, seen);
    await until(connection, 'online');
    const response = await connection.fetch('/api/device');
    expect(await response.text()).toBe('hello /api/device');
    expect(seen[0]).toEqual({ kind: 'connecting', attempt: 1 });
    await new Promise((r) => setTimeout(r, 300));
    const state = connection.state;
    expect(state.kind).toBe('online');
    if (state.kind === 'online') {
      expect(state.path).toBe('direct');
      expect(state.rttMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('shows the device offline when it goes away and reconnects by itself when it returns', async () => {
    const edge = pairedEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    edge.stop();
    await until(connection, 'retrying');
    const state = connection.state;
    expect(state.kind === 'retrying' && state.reason).toMatch(/closed|not connected/);
    edge.start();
    await until(connection, 'online');
    expect(await (await connection.fetch('/again')).text()).toBe('hello /again');
  });

  it('detects a silent dead session and redials', async () => {
    const edge = pairedEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    const before = edge.served;
    edge.freeze();
    await until(connection, 'retrying', 3000);
    await until(connection, 'online', 3000);
    await connection.fetch('/after');
    expect(edge.served).toBe(before + 1);
  });

  it('holds a request while the device is away and sends it once it is back', async () => {
    const edge = pairedEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    edge.stop();
    await until(connection, 'retrying');
    const pending = connection.fetch('/queued');
    setTimeout(() => edge.start(), 150);
    expect(await (await pending).text()).toBe('hello /queued');
  });

  it('fails a request with a plain reason when the device stays away', async () => {
    const edge = pairedEdge();
    edge.stop();
    const connection = connect(edge);
    await until(connection, 'retrying');
    await expect(connection.fetch('/nope')).rejects.toMatchObject({
      name: 'DeviceOfflineError',
      message: /offline/,
    });
  });

  it('stops retrying after a permanent failure until asked', async () => {
    let dials = 0;
    const connection = createDeviceConnection({
      deviceId: 'edge-1',
      clientName: 'My phone',
      credentials: () => {
        throw new Error('never dialled');
      },
      link: {
        async dial() {
          dials += 1;
          const error = new Error('version 9 only');
          error.name = 'PeerFetchUnsupportedVersionError';
          throw error;
        },
      },
      onState: () => undefined,
      backoff: { initialMs: 10, maxMs: 10, jitter: 0 },
    });
    harness.closeAfter(connection);
    connection.retryNow();
    await until(connection, 'failed');
    await new Promise((r) => setTimeout(r, 100));
    expect(dials).toBe(1);
    expect(connection.state.kind === 'failed' && connection.state.reason).toMatch(/Update/);
  });
});

describe('device connection authentication', () => {
  it('authenticates every session with the stored key before any request', async () => {
    const edge = pairedEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    expect(await (await connection.fetch('/api/device')).text()).toBe('hello /api/device');
    expect(edge.requests).toEqual([{ method: 'GET', path: '/api/device' }]);
  });

  it('shows "not verified" and sends nothing when the device cannot prove the key', async () => {
    // An impostor under the edge's id: it knows the phone's id, but not the pairing key.
    const impostor = createFakeEdge();
    impostor.clients.set(PHONE_ID, { name: 'My phone', key: (await randomPairing()).raw });
    const connection = connect(impostor);
    await until(connection, 'failed');
    expect(connection.state).toMatchObject({
      kind: 'failed',
      auth: 'device-not-verified',
      reason: expect.stringMatching(/could not be verified.*Nothing was sent/),
    });
    // A request (the dashboard's refresh, say) is refused here, not sent and not redialled.
    await expect(connection.fetch('/api/device')).rejects.toMatchObject({
      name: 'DeviceFailedError',
    });
    connection.retryNow(); // what coming back online or to the front does
    await new Promise((r) => setTimeout(r, 200));
    expect(impostor.dials).toBe(1);
    expect(impostor.requests).toEqual([]);
    expect(connection.state.kind).toBe('failed');
  });

  it('tries again only when the user asks, after a failed verification', async () => {
    const edge = createFakeEdge();
    edge.clients.set(PHONE_ID, {
      name: 'My phone',
      key: crypto.getRandomValues(new Uint8Array(32)),
    });
    const connection = connect(edge);
    await until(connection, 'failed');
    // The real edge is back under its id: the user retries and it proves itself.
    edge.clients.set(PHONE_ID, { name: 'My phone', key: harness.pairing.raw });
    connection.reconnect();
    await until(connection, 'online');
    expect(edge.dials).toBe(2);
  });

  it('fails for good, sending nothing, when this phone holds no key for the device', async () => {
    const edge = pairedEdge();
    const connection = createDeviceConnection({
      deviceId: 'edge-1',
      link: edge.link,
      clientName: 'My phone',
      credentials: () => {
        throw new AuthenticationError('not-paired', 'this phone is not paired with the device');
      },
      onState: () => undefined,
      backoff: { initialMs: 10, maxMs: 10, jitter: 0 },
    });
    harness.closeAfter(connection);
    connection.retryNow();
    await until(connection, 'failed');
    expect(connection.state).toMatchObject({ auth: 'not-paired', reason: /pair again/i });
    await new Promise((r) => setTimeout(r, 100));
    expect(edge.dials).toBe(1);
    expect(edge.requests).toEqual([]);
  });

  it('says "not paired" when the device no longer knows this phone', async () => {
    const edge = createFakeEdge();
    const connection = connect(edge);
    await until(connection, 'failed');
    expect(connection.state).toMatchObject({ auth: 'not-paired', reason: /pair again/i });
    expect(edge.requests).toEqual([]);
  });
});
