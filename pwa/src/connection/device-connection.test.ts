import {
  createMemoryChannelPair,
  type MemoryChannel,
  openSession,
  serveRequests,
} from '@peerfetch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionState } from './connection-state';
import { createDeviceConnection, type DeviceConnection } from './device-connection';
import { DeviceUnreachableError } from './errors';
import type { PeerLink } from './peer-link';

/** Stats a browser reports for a direct LAN path (host candidates on both ends). */
function hostStats(): Map<string, Record<string, unknown>> {
  return new Map<string, Record<string, unknown>>([
    ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'P' }],
    ['P', { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' }],
    ['L', { id: 'L', type: 'local-candidate', candidateType: 'host' }],
    ['R', { id: 'R', type: 'remote-candidate', candidateType: 'host' }],
  ]);
}

/** A pretend edge reachable through a pretend PeerJS: it can be stopped and started again. */
function createFakeEdge() {
  let up = true;
  let served = 0;
  const serverEnds: MemoryChannel[] = [];
  const link: PeerLink = {
    async dial() {
      if (!up) throw new DeviceUnreachableError('The device is not connected.');
      const [client, server] = createMemoryChannelPair({ latencyMs: 1 });
      serverEnds.push(server);
      const session = openSession(server, {
        role: 'server',
        maxMessageSize: 262144,
        pingIntervalMs: 50,
        deadAfterMs: 400,
      });
      serveRequests(session, async (request) => {
        served += 1;
        return new Response(`hello ${new URL(request.url).pathname}`, {
          headers: { 'content-type': 'text/plain' },
        });
      });
      const peerConnection = {
        sctp: { maxMessageSize: 262144 },
        getStats: async () => hostStats(),
      } as unknown as RTCPeerConnection;
      return {
        channel: client as unknown as RTCDataChannel,
        peerConnection,
        close: () => client.close(),
      };
    },
  };
  return {
    link,
    get served() {
      return served;
    },
    stop() {
      up = false;
      for (const end of serverEnds.splice(0)) end.close();
    },
    freeze() {
      for (const end of serverEnds) end.blackhole = true;
    },
    start() {
      up = true;
    },
  };
}

function until(
  connection: DeviceConnection,
  kind: ConnectionState['kind'],
  ms = 5000,
): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (connection.state.kind === kind) resolve();
      else if (Date.now() - started > ms)
        reject(new Error(`state stayed ${JSON.stringify(connection.state)}`));
      else setTimeout(check, 10);
    };
    check();
  });
}

const open: DeviceConnection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function connect(edge: ReturnType<typeof createFakeEdge>, seen: ConnectionState[] = []) {
  const connection = createDeviceConnection({
    deviceId: 'edge-1',
    link: edge.link,
    onState: (s) => seen.push(s),
    backoff: { initialMs: 40, maxMs: 120, jitter: 0 },
    statsIntervalMs: 30,
    requestWaitMs: 2000,
    sessionOptions: { pingIntervalMs: 50, deadAfterMs: 400 },
  });
  open.push(connection);
  connection.retryNow();
  return connection;
}

describe('device connection', () => {
  it('goes online, answers requests, and reports RTT and a direct path', async () => {
    const edge = createFakeEdge();
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
    const edge = createFakeEdge();
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
    const edge = createFakeEdge();
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
    const edge = createFakeEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    edge.stop();
    await until(connection, 'retrying');
    const pending = connection.fetch('/queued');
    setTimeout(() => edge.start(), 150);
    expect(await (await pending).text()).toBe('hello /queued');
  });

  it('fails a request with a plain reason when the device stays away', async () => {
    const edge = createFakeEdge();
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
    open.push(connection);
    connection.retryNow();
    await until(connection, 'failed');
    await new Promise((r) => setTimeout(r, 100));
    expect(dials).toBe(1);
    expect(connection.state.kind === 'failed' && connection.state.reason).toMatch(/Update/);
  });
});
