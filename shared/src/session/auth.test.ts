import { connectInMemory, type InMemoryConnection } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthChannel } from './auth.js';

let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

/** A toy exchange (not cryptography): each side proves it knows the same word. */
function knowsWord(word: string) {
  return async (channel: AuthChannel) => {
    if (channel.role === 'client') {
      channel.send(bytes(word));
      if (text(await channel.receive()) !== `ok:${word}`) throw new Error('server did not confirm');
    } else {
      const claimed = text(await channel.receive());
      if (claimed !== word) throw new Error('wrong word');
      channel.send(bytes(`ok:${word}`));
    }
  };
}

describe('the authentication step', () => {
  it('runs before any request and lets requests through when it succeeds', async () => {
    connection = connectInMemory(async () => new Response('secret data'), {
      client: { authenticate: knowsWord('swordfish') },
      server: { authenticate: knowsWord('swordfish') },
    });
    expect(await (await connection.client.fetch('/')).text()).toBe('secret data');
  });

  it('closes both sides when it fails, and no request reaches the handler', async () => {
    let handled = 0;
    connection = connectInMemory(
      async () => {
        handled++;
        return new Response('secret data');
      },
      {
        client: { authenticate: knowsWord('guess') },
        server: { authenticate: knowsWord('swordfish') },
      },
    );
    await expect(connection.client.fetch('/')).rejects.toMatchObject({
      name: 'PeerFetchProtocolError',
    });
    const serverReason = await connection.serverSession.closed;
    expect(serverReason).toMatchObject({ code: 'handshake-failed' });
    expect(handled).toBe(0);
  });

  it('fails a handshake that never finishes within the timeout', async () => {
    connection = connectInMemory(async () => new Response('x'), {
      client: { authenticate: () => new Promise(() => {}), handshakeTimeoutMs: 100 },
      server: { authenticate: () => new Promise(() => {}), handshakeTimeoutMs: 100 },
    });
    await expect(connection.clientSession.ready).rejects.toMatchObject({
      code: 'handshake-failed',
    });
  });
});
