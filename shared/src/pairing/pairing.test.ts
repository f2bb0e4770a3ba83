import { connectInMemory, type InMemoryConnection } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolError } from '../errors.js';
import type { Authenticator } from '../session/auth.js';
import type { ChannelBinding } from './binding.js';
import { clientAuthenticator, type PairingResult } from './client-authenticator.js';
import { edgeAuthenticator, type PairingWindow } from './edge-authenticator.js';
import { importPairingKey } from './keys.js';

const direct: ChannelBinding = {
  clientId: 'phone-1',
  edgeId: 'edge-1',
  clientFingerprint: 'sha-256 AA:AA',
  edgeFingerprint: 'sha-256 BB:BB',
};

/** A toy edge: a code, an attempt limit, and a map of paired clients. */
function fakeEdge(code: string | undefined, maxAttempts = 5) {
  const clients = new Map<string, Uint8Array>();
  let attempts = 0;
  let open = code !== undefined;
  let handled = 0;
  const window: PairingWindow = {
    beginAttempt: () => {
      if (!open || attempts >= maxAttempts) return undefined;
      attempts++;
      return code;
    },
    complete: async (client) => {
      clients.set(client.id, client.key);
      open = false;
    },
  };
  const authenticator = (binding: ChannelBinding = direct): Authenticator =>
    edgeAuthenticator({
      binding,
      edgeName: 'Garage Pi',
      pairing: window,
      findClientKey: async (id) => {
        const raw = clients.get(id);
        return raw && importPairingKey(raw);
      },
    });
  const handler = async () => {
    handled++;
    return new Response('private');
  };
  return {
    clients,
    window,
    authenticator,
    handler,
    attempts: () => attempts,
    handled: () => handled,
  };
}

let connection: InMemoryConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

function connectWith(
  edge: ReturnType<typeof fakeEdge>,
  client: Authenticator,
  edgeSide = edge.authenticator(),
) {
  connection = connectInMemory(edge.handler, {
    client: { authenticate: client },
    server: { authenticate: edgeSide },
  });
  return connection;
}

function pairing(
  code: string,
  onPaired: (result: PairingResult) => void = () => {},
  binding = direct,
) {
  return clientAuthenticator({
    binding,
    clientName: 'My phone',
    credentials: { pairingCode: code, onPaired },
  });
}

async function keyed(raw: Uint8Array, binding = direct) {
  return clientAuthenticator({
    binding,
    clientName: 'My phone',
    credentials: { key: await importPairingKey(raw) },
  });
}

function causeOf(error: unknown): { name?: string; reason?: string } {
  return ((error as ProtocolError).cause ?? {}) as { name?: string; reason?: string };
}

describe('pairing', () => {
  it('pairs with the right code, leaving both sides the same 256-bit key, and serves afterwards', async () => {
    const edge = fakeEdge('493027');
    let paired: PairingResult | undefined;
    const { client } = connectWith(
      edge,
      pairing('493027', (result) => {
        paired = result;
      }),
    );
    expect(await (await client.fetch('/')).text()).toBe('private');
    expect(paired?.edgeName).toBe('Garage Pi');
    expect(paired?.key.byteLength).toBe(32);
    expect([...edge.clients.get('phone-1')!]).toEqual([...paired!.key]);

    // A later session proves the pairing with the stored key.
    await connection!.close();
    const again = connectWith(edge, await keyed(paired!.key));
    expect(await (await again.client.fetch('/')).text()).toBe('private');
  });

  it('refuses a wrong code, serving nothing', async () => {
    const edge = fakeEdge('493027');
    const { client, serverSession } = connectWith(edge, pairing('111111'));
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error)).toMatchObject({
      name: 'PeerFetchAuthenticationError',
      reason: 'wrong-code',
    });
    expect(await serverSession.closed).toMatchObject({ code: 'handshake-failed' });
    expect(edge.handled()).toBe(0);
    expect(edge.clients.size).toBe(0);
  });

  it('closes the window after five attempts, even for the right code', async () => {
    const edge = fakeEdge('493027');
    for (let i = 0; i < 5; i++) {
      const { client } = connectWith(edge, pairing(`00000${i}`));
      await expect(client.fetch('/')).rejects.toBeDefined();
      await connection!.close();
    }
    expect(edge.attempts()).toBe(5);
    const { client } = connectWith(edge, pairing('493027'));
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error).reason).toBe('pairing-closed');
    expect(edge.clients.size).toBe(0);
  });

  it('refuses pairing while the window is closed', async () => {
    const edge = fakeEdge(undefined);
    const { client } = connectWith(edge, pairing('493027'));
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error).reason).toBe('pairing-closed');
  });
});

describe('session authentication', () => {
  it('refuses a client the edge does not know, before any request reaches the handler', async () => {
    const edge = fakeEdge(undefined);
    const { client } = connectWith(edge, await keyed(crypto.getRandomValues(new Uint8Array(32))));
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error).reason).toBe('not-paired');
    expect(edge.handled()).toBe(0);
  });

  it('rejects an impostor edge that does not hold the key', async () => {
    const realKey = crypto.getRandomValues(new Uint8Array(32));
    const impostor = fakeEdge(undefined);
    // The impostor knows the client's id and stores some key for it, but not the real one.
    impostor.clients.set('phone-1', crypto.getRandomValues(new Uint8Array(32)));
    const { client } = connectWith(impostor, await keyed(realKey));
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error)).toMatchObject({ reason: 'device-not-verified' });
    expect(impostor.handled()).toBe(0);
  });

  it('fails when the two sides see different DTLS fingerprints (a relay in the middle)', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const edge = fakeEdge(undefined);
    edge.clients.set('phone-1', key);
    const relayedView = { ...direct, edgeFingerprint: 'sha-256 EE:EE' };
    const { client } = connectWith(edge, await keyed(key, relayedView));
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error).reason).toBe('device-not-verified');
    expect(edge.handled()).toBe(0);
  });

  it('fails pairing through a relay even with the right code', async () => {
    const edge = fakeEdge('493027');
    const relayedView = { ...direct, clientFingerprint: 'sha-256 CC:CC' };
    const { client } = connectWith(
      edge,
      pairing('493027', () => {}, relayedView),
    );
    const error = await client.fetch('/').catch((e: unknown) => e);
    expect(causeOf(error).reason).toBe('wrong-code');
    expect(edge.clients.size).toBe(0);
  });
});

describe('replay', () => {
  it('refuses a recorded authentication replayed into a new session', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const edge = fakeEdge(undefined);
    edge.clients.set('phone-1', key);
    const recorded: Uint8Array[] = [];
    const honest = await keyed(key);
    const recording: Authenticator = (channel) =>
      honest({
        role: channel.role,
        receive: () => channel.receive(),
        send: (message) => {
          recorded.push(message.slice());
          channel.send(message);
        },
      });
    const first = connectWith(edge, recording);
    expect(await (await first.client.fetch('/')).text()).toBe('private');
    expect(recorded.length).toBe(2);
    await first.close();

    const replaying: Authenticator = async (channel) => {
      for (const message of recorded) {
        channel.send(message);
        await channel.receive();
      }
    };
    const { client, serverSession } = connectWith(edge, replaying);
    await expect(client.fetch('/')).rejects.toBeInstanceOf(Error);
    const reason = (await serverSession.closed) as ProtocolError;
    expect(reason.code).toBe('handshake-failed');
    expect(causeOf(reason).reason).toBe('not-paired');
    expect(edge.handled()).toBe(1);
  });
});
