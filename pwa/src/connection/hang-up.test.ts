import { connectInMemory, type InMemoryConnection } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { hangUp } from './hang-up';
import type { Dialed } from './peer-link';

let connection: InMemoryConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** The client end of an in-memory connection as the dialer hands it over, recording close(). */
function dialedOf(live: InMemoryConnection, events: string[]): Dialed {
  live.clientChannel.addEventListener('close', () => events.push('channel closed'));
  return {
    localId: 'phone',
    channel: live.clientChannel as unknown as RTCDataChannel,
    peerConnection: {} as RTCPeerConnection,
    close: () => events.push('connection closed'),
  };
}

describe('hangUp', () => {
  it('says GOAWAY, lets the device close the channel, then closes the connection', async () => {
    connection = connectInMemory(async () => new Response('x'));
    await connection.clientSession.ready;
    const events: string[] = [];
    await hangUp(connection.clientSession, dialedOf(connection, events));
    expect(await connection.serverSession.closed, 'the device saw a clean GOAWAY').toBeUndefined();
    expect(events).toEqual(['channel closed', 'connection closed']);
  });

  it('closes anyway when the device never closes the channel', async () => {
    connection = connectInMemory(async () => new Response('x'));
    await connection.clientSession.ready;
    // The device has gone silent: it never sees the GOAWAY, so it never closes.
    connection.clientChannel.blackhole = true;
    const events: string[] = [];
    const started = Date.now();
    await hangUp(connection.clientSession, dialedOf(connection, events));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(events.at(-1)).toBe('connection closed');
  });
});
