import { EventEmitter } from 'node:events';
import { createMemoryChannelPair, type MemoryChannel } from '@peerfetch/shared/testing';
import { describe, expect, it } from 'vitest';
import type { Peer } from './index.js';
import { dialSession, onOpen } from './open-event.js';

/** A PeerJS peer whose connect() hands out a connection the test opens by hand. */
function fakePeer() {
  const [channel, remote] = createMemoryChannelPair();
  channel.binaryType = 'arraybuffer';
  const connection = Object.assign(new EventEmitter(), {
    open: false,
    dataChannel: channel,
    peerConnection: { localDescription: null, remoteDescription: null },
  });
  const asked: unknown[] = [];
  const peer = {
    connect(id: string, options: unknown) {
      asked.push({ id, options });
      return connection;
    },
  } as unknown as Peer;
  return { peer, connection, remote, asked };
}

const deliver = async (remote: MemoryChannel, byte: number) => {
  remote.send(new Uint8Array([byte]));
  await new Promise((r) => setTimeout(r, 5));
};

describe('dialSession', () => {
  it('dials reliable and raw, and makes the session in the open event with every message', async () => {
    const { peer, connection, remote, asked } = fakePeer();
    const seen: number[] = [];
    const dialed = dialSession(peer, 'edge-1', (channel) => {
      channel.addEventListener('message', (e: MessageEvent) => {
        seen.push(new Uint8Array(e.data as ArrayBuffer)[0]!);
      });
      return 'session';
    });
    expect(asked).toEqual([{ id: 'edge-1', options: { reliable: true, serialization: 'raw' } }]);
    await deliver(remote, 1); // before 'open': held
    connection.emit('open');
    // Released in the open event itself, before any promise continuation could run.
    expect(seen).toEqual([1]);
    await deliver(remote, 2);
    expect(seen).toEqual([1, 2]);
    await expect(dialed.session).resolves.toBe('session');
  });

  it('rejects with what the session maker threw, and still releases the channel', async () => {
    const { peer, connection } = fakePeer();
    const dialed = dialSession(peer, 'edge-1', () => {
      throw new Error('no SDP');
    });
    connection.emit('open');
    await expect(dialed.session).rejects.toThrow('no SDP');
  });
});

describe('onOpen', () => {
  it('runs at once on an open connection, else in its open event', () => {
    const runs: string[] = [];
    onOpen({ open: true, on: () => undefined }, () => runs.push('now'));
    const later = Object.assign(new EventEmitter(), { open: false });
    onOpen(later, () => runs.push('at open'));
    expect(runs).toEqual(['now']);
    later.emit('open');
    expect(runs).toEqual(['now', 'at open']);
  });
});
