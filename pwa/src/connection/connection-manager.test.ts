import type { RoomsApi } from '@peerfetch/shared';
import type { Peer } from 'peerjs';
import { describe, expect, it } from 'vitest';
import { createConnectionManager } from './connection-manager';
import type { ConnectionState } from './connection-state';

/** A page: events can be fired, visibility can be flipped. */
function fakePage() {
  type Listener = (event?: { persisted?: boolean }) => void;
  const listeners = new Map<string, Set<Listener>>();
  const target = {
    visibilityState: 'visible' as DocumentVisibilityState,
    addEventListener(type: string, listener: Listener) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(listener);
    },
    removeEventListener(type: string, listener: Listener) {
      listeners.get(type)?.delete(listener);
    },
    fire(type: string, event?: { persisted?: boolean }) {
      for (const listener of [...(listeners.get(type) ?? [])]) listener(event);
    },
    count: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
  return target;
}

/** A peer that never reaches the signaling server: every device dial fails at once. */
function unreachablePeer(): Peer {
  const handlers = new Map<string, (arg?: unknown) => void>();
  const peer = {
    options: {},
    destroyed: false,
    disconnected: false,
    on(event: string, handler: (arg?: unknown) => void) {
      handlers.set(event, handler);
      if (event === 'error')
        queueMicrotask(() => handler(Object.assign(new Error('down'), { type: 'network' })));
      return peer;
    },
    off: () => peer,
    destroy() {
      peer.destroyed = true;
    },
  };
  return peer as unknown as Peer;
}

/** A manager on `page` whose signaling never answers; device states go to `states`. */
function managerOn(page: ReturnType<typeof fakePage>, states: ConnectionState[]) {
  return createConnectionManager({
    signalingUrl: new URL('http://127.0.0.1:9/'),
    peerKey: 'peerjs',
    clientName: 'test',
    identity: { id: 'app-test', token: 'token' },
    keyOf: () => undefined,
    rooms: {} as RoomsApi,
    createPeer: unreachablePeer,
    onSignalingState: () => undefined,
    onDeviceState: (_id, state) => states.push(state),
    backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
    window: page,
    document: page,
  });
}

describe('connection manager', () => {
  it('wakes waiting devices when the network returns or the app comes to the front, and only then', async () => {
    const page = fakePage();
    const states: ConnectionState[] = [];
    const manager = managerOn(page, states);
    await new Promise((r) => setTimeout(r, 10));
    manager.device('edge-1');
    await new Promise((r) => setTimeout(r, 10));
    // The server's loss is the server's to show, with its one countdown: the device waits.
    expect(states.at(-1)).toEqual({
      kind: 'no-signaling',
      reason: expect.stringMatching(/Waiting for the signaling server/),
    });
    const attempts = () => states.filter((s) => s.kind === 'connecting').length;
    expect(attempts()).toBe(1);

    page.fire('online');
    await new Promise((r) => setTimeout(r, 10));
    expect(attempts()).toBe(2);
    // The fresh registration retries quietly for a moment (a new network's route may lag
    // its address), and the device's dial waits for it; then both show the failure.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(states.at(-1)).toMatchObject({ kind: 'no-signaling' });
    expect(attempts()).toBe(2);

    page.visibilityState = 'hidden';
    page.fire('visibilitychange');
    await new Promise((r) => setTimeout(r, 10));
    expect(attempts()).toBe(2);
    page.visibilityState = 'visible';
    page.fire('visibilitychange');
    await new Promise((r) => setTimeout(r, 10));
    expect(attempts()).toBe(3);

    page.fire('offline');
    expect(states.at(-1)).toMatchObject({ kind: 'offline' });

    manager.stop();
    expect(page.count()).toBe(0);
    expect(states.at(-1)).toEqual({ kind: 'idle' });
  });

  it('registers again over a fresh socket when the network returns (the old one may be dead)', async () => {
    const page = fakePage();
    const handlers = new Map<string, (arg?: unknown) => void>();
    const calls: string[] = [];
    const peer = {
      id: 'app-test',
      options: {},
      destroyed: false,
      disconnected: false,
      on(event: string, handler: (arg?: unknown) => void) {
        handlers.set(event, handler);
        if (event === 'open') queueMicrotask(() => handler('app-test'));
        return peer;
      },
      off: () => peer,
      disconnect() {
        calls.push('disconnect');
        peer.disconnected = true;
        handlers.get('disconnected')?.();
      },
      reconnect() {
        calls.push('reconnect');
        peer.disconnected = false;
      },
      destroy() {
        calls.push('destroy');
        peer.destroyed = true;
      },
    };
    const signaling: string[] = [];
    const manager = createConnectionManager({
      signalingUrl: new URL('http://127.0.0.1:9/'),
      peerKey: 'peerjs',
      clientName: 'test',
      identity: { id: 'app-test', token: 'token' },
      keyOf: () => undefined,
      rooms: { iceServers: async () => ({ iceServers: [] }) } as unknown as RoomsApi,
      createPeer: () => peer as unknown as Peer,
      onSignalingState: (state) => signaling.push(state.kind),
      onDeviceState: () => undefined,
      window: page,
      document: page,
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(signaling.at(-1)).toBe('ready');
    page.fire('online');
    // Same peer (its connections stay open), new socket, and no backoff in between.
    expect(calls).toEqual(['disconnect', 'reconnect']);
    expect(signaling.slice(-1)).toEqual(['connecting']);
    handlers.get('open')?.('app-test');
    await new Promise((r) => setTimeout(r, 10));
    expect(signaling.at(-1)).toBe('ready');
    manager.stop();
  });

  it('closes every device connection when the page unloads, not when it is only cached', async () => {
    const page = fakePage();
    const states: ConnectionState[] = [];
    const manager = managerOn(page, states);
    manager.device('edge-1');
    await new Promise((r) => setTimeout(r, 10));
    page.fire('pagehide', { persisted: true });
    expect(states.at(-1)?.kind).not.toBe('idle');
    page.fire('pagehide', { persisted: false });
    expect(states.at(-1)).toEqual({ kind: 'idle' });
    expect(page.count()).toBe(0);
  });
});
