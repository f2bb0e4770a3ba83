/**
 * Device connections to a fake edge for the device-connection tests: a fresh pairing per
 * test, connections closed after each, and short timings so the tests run fast.
 */
import { afterEach, beforeEach } from 'vitest';
import type { ConnectionState } from '../connection/connection-state';
import {
  createDeviceConnection,
  type DeviceConnection,
  type DeviceConnectionOptions,
} from '../connection/device-connection';
import {
  createFakeEdge,
  type FakeEdge,
  type FakeEdgeOptions,
  PHONE_ID,
  randomPairing,
} from './fake-edge';

type Pairing = Awaited<ReturnType<typeof randomPairing>>;

/** Call at the top of a test file: registers the hooks, returns the helpers. */
export function deviceConnectionHarness() {
  /** This phone's pairing with the fake edge (both sides hold the same key). */
  let pairing: Pairing;
  beforeEach(async () => {
    pairing = await randomPairing();
  });
  const open: DeviceConnection[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  return {
    get pairing(): Pairing {
      return pairing;
    },
    /** Closes a connection the test made itself once the test ends. */
    closeAfter(connection: DeviceConnection): void {
      open.push(connection);
    },
    /** A fake edge that already knows this phone. */
    pairedEdge(options: FakeEdgeOptions = {}): FakeEdge {
      const edge = createFakeEdge(options);
      edge.clients.set(PHONE_ID, { name: 'My phone', key: pairing.raw });
      return edge;
    },
    /** A connection to `edge`, started; its states go to `seen`. */
    connect(
      edge: FakeEdge,
      seen: ConnectionState[] = [],
      more: Partial<DeviceConnectionOptions> = {},
    ): DeviceConnection {
      const connection = createDeviceConnection({
        deviceId: 'edge-1',
        link: edge.link,
        clientName: 'My phone',
        credentials: () => ({ key: pairing.key }),
        onState: (s) => seen.push(s),
        backoff: { initialMs: 40, maxMs: 120, jitter: 0 },
        statsIntervalMs: 30,
        requestWaitMs: 2000,
        sessionOptions: { pingIntervalMs: 50, deadAfterMs: 400 },
        ...more,
      });
      open.push(connection);
      connection.retryNow();
      return connection;
    },
  };
}

/** Resolves once the connection's state is `kind`; rejects after `ms`. */
export function until(
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
