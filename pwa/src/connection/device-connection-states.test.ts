/**
 * What a device connection shows when the device hangs or the signaling server goes away:
 * offline (not "Connecting…") while a device that stopped answering is dialled again, and
 * no countdown of its own while it waits for the server.
 */
import { describe, expect, it } from 'vitest';
import { deviceConnectionHarness, until } from '../testing/device-connection-harness';
import type { FakeEdge } from '../testing/fake-edge';
import { type ConnectionState, describeState } from './connection-state';
import type { PeerLink } from './peer-link';

const { pairedEdge, connect } = deviceConnectionHarness();

/** `edge`'s link, except that dials hang (until aborted) while `hung.value` is set. */
function hangableLink(edge: FakeEdge, hung: { value: boolean }): PeerLink {
  return {
    dial: (deviceId, signal) =>
      hung.value
        ? new Promise((_, reject) =>
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
          )
        : edge.link.dial(deviceId, signal),
  };
}

describe('device connection states', () => {
  it('keeps a device that stopped answering offline while it dials it again', async () => {
    const edge = pairedEdge();
    const hung = { value: false };
    const seen: ConnectionState[] = [];
    const connection = connect(edge, seen, { link: hangableLink(edge, hung) });
    await until(connection, 'online');
    hung.value = true;
    edge.freeze();
    await until(connection, 'retrying', 3000);
    await until(connection, 'connecting', 3000);
    const state = connection.state;
    expect(state).toMatchObject({
      kind: 'connecting',
      unreachable: 'The device stopped answering.',
    });
    expect(describeState(state, Date.now())).toMatchObject({ label: 'Offline', tone: 'bad' });
    // Only the first dial of all said "Connecting…".
    expect(seen.filter((s) => describeState(s, 0).label === 'Connecting…')).toHaveLength(1);
  });

  it('waits for the signaling server without a countdown of its own', async () => {
    const edge = pairedEdge();
    edge.stop();
    const connection = connect(edge);
    await until(connection, 'retrying');
    connection.signalingLost();
    expect(connection.state).toEqual({
      kind: 'no-signaling',
      reason: expect.stringMatching(/signaling server/),
    });
    expect('retryAt' in connection.state).toBe(false);
    // The server's recovery wakes it.
    edge.start();
    connection.retryNow();
    await until(connection, 'online');
  });

  it('ends a session whose device no longer answers when the server goes, and keeps one that does', async () => {
    const edge = pairedEdge();
    const seen: ConnectionState[] = [];
    // A dead interval far past the probe's, so only the probe can end the session here.
    const connection = connect(edge, seen, {
      sessionOptions: { pingIntervalMs: 5_000, deadAfterMs: 30_000 },
    });
    await until(connection, 'online');
    const dials = edge.dials;
    connection.signalingLost();
    await new Promise((r) => setTimeout(r, 1_800));
    expect(connection.state.kind).toBe('online');
    expect(edge.dials).toBe(dials);

    edge.freeze();
    const lostAt = seen.length;
    connection.signalingLost();
    await expect.poll(() => edge.dials, { timeout: 3000, interval: 20 }).toBe(dials + 1);
    expect(seen.slice(lostAt).map((s) => s.kind)).toContain('connecting');
    await until(connection, 'online', 3000);
  });
});
