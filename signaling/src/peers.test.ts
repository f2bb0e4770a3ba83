import type { IClient } from 'peer';
import { describe, expect, it } from 'vitest';
import { createPeerDirectory } from './peers.js';

function client(id: string, token: string, socket: object | null = {}): IClient {
  return {
    getId: () => id,
    getToken: () => token,
    getSocket: () => socket as never,
    setSocket: () => undefined,
    getLastPing: () => 0,
    setLastPing: () => undefined,
    send: () => undefined,
  };
}

describe('createPeerDirectory', () => {
  it('verifies a connected peer by id and exact token', () => {
    const peers = createPeerDirectory();
    peers.connected(client('a', 'token-a'));
    expect(peers.verify('a', 'token-a')).toBe(true);
    expect(peers.verify('a', 'token-b')).toBe(false);
    expect(peers.verify('a', 'token-a ')).toBe(false);
    expect(peers.verify('b', 'token-a')).toBe(false);
    expect(peers.size).toBe(1);
  });

  it('forgets a peer once it disconnects', () => {
    const peers = createPeerDirectory();
    const a = client('a', 't');
    peers.connected(a);
    expect(peers.disconnected(a)).toBe(true);
    expect(peers.verify('a', 't')).toBe(false);
    expect(peers.size).toBe(0);
  });

  it('ignores a stale disconnect for an id a newer client holds', () => {
    const peers = createPeerDirectory();
    const old = client('a', 'old');
    const newer = client('a', 'new');
    expect(peers.connected(old)).toBeUndefined();
    expect(peers.connected(newer)).toEqual({ client: old, socket: old.getSocket() });
    expect(peers.disconnected(old)).toBe(false);
    expect(peers.verify('a', 'new')).toBe(true);
  });

  it('refuses a peer whose socket is gone', () => {
    const peers = createPeerDirectory();
    peers.connected(client('a', 't', null));
    expect(peers.verify('a', 't')).toBe(false);
  });
});
