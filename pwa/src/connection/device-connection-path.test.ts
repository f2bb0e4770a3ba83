/** A device connection whose network path goes away: ICE says so, or the phone changed networks. */
import { describe, expect, it } from 'vitest';
import { deviceConnectionHarness, until } from '../testing/device-connection-harness';
import type { ConnectionState } from './connection-state';
import { PATH_PROBE_TIMEOUT_MS } from './device-connection';

const { pairedEdge, connect } = deviceConnectionHarness();

describe('device connection, path lost', () => {
  it('redials at once when ICE fails, and sends an idempotent request in flight again', async () => {
    const edge = pairedEdge();
    const seen: ConnectionState[] = [];
    let pathsLost = 0;
    const connection = connect(edge, seen, { onPathLost: () => (pathsLost += 1) });
    await until(connection, 'online');
    const dialsBefore = edge.dials;
    edge.freeze(); // the old path carries nothing more, as after a network change
    const pending = connection.fetch('/api/after-move');
    const lossAt = seen.length;
    edge.iceState('failed');
    const response = await pending;
    expect(await response.text()).toBe('hello /api/after-move');
    expect(edge.dials).toBe(dialsBefore + 1);
    expect(pathsLost).toBe(1);
    // Straight back to connecting: no backoff wait, and no "offline" shown in between.
    const after = new Set(seen.slice(lossAt).map((s) => s.kind));
    expect([...after].sort()).toEqual(['connecting', 'online']);
  });

  it('redials within the probe timeout when the old path is silent after a network change', async () => {
    // Neither side gives up on the silence by itself here, and ICE says nothing at all:
    // only the probe can tell.
    const edge = pairedEdge({ deadAfterMs: 120_000 });
    const seen: ConnectionState[] = [];
    const connection = connect(edge, seen, {
      sessionOptions: { pingIntervalMs: 60_000, deadAfterMs: 120_000 },
    });
    await until(connection, 'online');
    const dialsBefore = edge.dials;
    edge.freeze();
    const pending = connection.fetch('/api/after-move');
    const lossAt = seen.length;
    const changedAt = Date.now();
    connection.checkPath();
    const response = await pending;
    expect(await response.text()).toBe('hello /api/after-move');
    const took = Date.now() - changedAt;
    expect(took).toBeGreaterThanOrEqual(PATH_PROBE_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(PATH_PROBE_TIMEOUT_MS + 1000);
    expect(edge.dials).toBe(dialsBefore + 1);
    const after = new Set(seen.slice(lossAt).map((s) => s.kind));
    expect([...after].sort()).toEqual(['connecting', 'online']);
  });

  it('keeps a session whose path still answers after a network change', async () => {
    const edge = pairedEdge({ deadAfterMs: 120_000 });
    const connection = connect(edge, [], {
      sessionOptions: { pingIntervalMs: 60_000, deadAfterMs: 120_000 },
    });
    await until(connection, 'online');
    const dialsBefore = edge.dials;
    connection.checkPath();
    await new Promise((r) => setTimeout(r, PATH_PROBE_TIMEOUT_MS + 200));
    expect(connection.state.kind).toBe('online');
    expect(edge.dials).toBe(dialsBefore);
  });

  it('counts a path lost when ICE stays disconnected past the grace', async () => {
    const edge = pairedEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    const dialsBefore = edge.dials;
    edge.iceState('disconnected');
    await new Promise((r) => setTimeout(r, 2500));
    await until(connection, 'online');
    expect(edge.dials).toBe(dialsBefore + 1);
  });

  it('keeps the session through an ICE blip shorter than the grace', async () => {
    const edge = pairedEdge();
    const connection = connect(edge);
    await until(connection, 'online');
    const dialsBefore = edge.dials;
    edge.iceState('disconnected');
    await new Promise((r) => setTimeout(r, 500));
    edge.iceState('connected');
    await new Promise((r) => setTimeout(r, 2500));
    expect(connection.state.kind).toBe('online');
    expect(edge.dials).toBe(dialsBefore);
  });
});
