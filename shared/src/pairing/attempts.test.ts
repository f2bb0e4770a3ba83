import { connectInMemory, type InMemoryConnection } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthChannel, Authenticator } from '../session/auth.js';
import type { ChannelBinding } from './binding.js';
import { randomBytes, utf8 } from './bytes.js';
import { clientAuthenticator } from './client-authenticator.js';
import { calculateGenerator, cpaceMessage, sampleScalar, scalarMult } from './cpace.js';
import { edgeAuthenticator, type PairingWindow } from './edge-authenticator.js';
import { AuthenticationError } from './errors.js';
import { type AuthMessage, decodeAuthMessage, encodeAuthMessage } from './messages.js';

const binding: ChannelBinding = {
  clientId: 'phone-1',
  edgeId: 'edge-1',
  clientFingerprint: 'sha-256 AA:AA',
  edgeFingerprint: 'sha-256 BB:BB',
};
const CODE = '493027';
const INTERNAL = "ENOSPC: no space left on device, write '/var/lib/peerfetch/paired-clients.json'";

let connection: InMemoryConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

/** An edge whose window counts attempts; `window` overrides parts of it. */
function edgeWith(window: Partial<PairingWindow> = {}) {
  const attempts: string[] = [];
  const stored: string[] = [];
  const pairing: PairingWindow = {
    beginAttempt: (clientId) => {
      attempts.push(clientId);
      return CODE;
    },
    complete: async (client) => {
      stored.push(client.id);
    },
    ...window,
  };
  const authenticator = edgeAuthenticator({
    binding,
    edgeName: 'Garage Pi',
    pairing,
    findClientKey: async () => undefined,
  });
  return { authenticator, attempts, stored };
}

function connect(edge: Authenticator, client: Authenticator) {
  connection = connectInMemory(async () => new Response('private'), {
    client: { authenticate: client },
    server: { authenticate: edge },
  });
  return connection;
}

/** A client that sends one hand-made `pair` message and reports what the edge answered. */
function sendsPair(message: Extract<AuthMessage, { t: 'pair' }>) {
  const answers: AuthMessage[] = [];
  const authenticate = async (channel: AuthChannel) => {
    channel.send(encodeAuthMessage(message));
    answers.push(decodeAuthMessage(await channel.receive()));
    throw new Error('the edge did not go on');
  };
  return { authenticate, answers };
}

/** A real MSGa for the code, as an honest client makes it. */
function honestShare(sid: Uint8Array): Uint8Array {
  const generator = calculateGenerator(utf8(CODE), new Uint8Array(8), sid);
  return cpaceMessage(scalarMult(sampleScalar(), generator), utf8(binding.clientId));
}

describe('only well-formed pairing requests count as attempts', () => {
  const junk: [string, () => Extract<AuthMessage, { t: 'pair' }>][] = [
    ['a share that is not a CPace message', () => pairMessage({ msg: new Uint8Array([9, 9]) })],
    [
      'a share that is not a group element',
      () => pairMessage({ msg: cpace(new Uint8Array(32).fill(0xff)) }),
    ],
    ['the identity element as its share', () => pairMessage({ msg: cpace(new Uint8Array(32)) })],
    ['a short session id', () => pairMessage({ sid: new Uint8Array(8) })],
    ['a long session id', () => pairMessage({ sid: new Uint8Array(64) })],
  ];
  for (const [name, message] of junk) {
    it(`${name} is refused and costs the window nothing`, async () => {
      const edge = edgeWith();
      const client = sendsPair(message());
      const { serverSession } = connect(edge.authenticator, client.authenticate);
      expect(await serverSession.closed).toMatchObject({ code: 'handshake-failed' });
      await expect
        .poll(() => client.answers, { message: 'the junk was delivered and answered' })
        .toEqual([{ t: 'refused', reason: 'failed' }]);
      expect(edge.attempts).toEqual([]);
    });
  }

  it('bytes that are no AUTH message at all are refused too, and cost nothing', async () => {
    const edge = edgeWith();
    const answers: AuthMessage[] = [];
    connect(edge.authenticator, async (channel) => {
      channel.send(new Uint8Array([0xc1, 0x00, 0xff]));
      answers.push(decodeAuthMessage(await channel.receive()));
    });
    await expect.poll(() => answers).toEqual([{ t: 'refused', reason: 'failed' }]);
    expect(edge.attempts).toEqual([]);
  });

  it('a well-formed request with a wrong code counts one attempt', async () => {
    const edge = edgeWith();
    const client = clientAuthenticator({
      binding,
      clientName: 'My phone',
      credentials: { pairingCode: '000000', onPaired: () => {} },
    });
    const { clientSession } = connect(edge.authenticator, client);
    await expect(clientSession.ready).rejects.toMatchObject({
      cause: { reason: 'wrong-code' },
    });
    expect(edge.attempts).toEqual(['phone-1']);
  });

  it('the junk check itself is no attempt: a well-formed share of any code counts', async () => {
    const edge = edgeWith();
    const sid = randomBytes(16);
    const client = sendsPair(pairMessage({ sid, msg: honestShare(sid) }));
    connect(edge.authenticator, client.authenticate);
    await expect.poll(() => client.answers.length).toBe(1);
    expect(client.answers[0]?.t).toBe('pair-reply');
    expect(edge.attempts).toEqual(['phone-1']);
  });
});

describe('what a refused client hears', () => {
  it("the window's own refusal reason (too many attempts from this client)", async () => {
    const edge = edgeWith({
      beginAttempt: () => {
        throw new AuthenticationError('failed', 'too many pairing attempts from phone-1');
      },
    });
    const client = sendsPair(pairMessage({}));
    connect(edge.authenticator, client.authenticate);
    await expect.poll(() => client.answers).toEqual([{ t: 'refused', reason: 'failed' }]);
  });

  it('a generic failure, never the text of a storage error, when the pairing cannot be saved', async () => {
    const edge = edgeWith({
      complete: async () => {
        throw new Error(INTERNAL);
      },
    });
    let paired = false;
    const client = clientAuthenticator({
      binding,
      clientName: 'My phone',
      credentials: {
        pairingCode: CODE,
        onPaired: () => {
          paired = true;
        },
      },
    });
    const { clientSession, serverSession } = connect(edge.authenticator, client);
    const clientError = (await clientSession.ready.catch((e: unknown) => e)) as Error;
    expect(clientError).toMatchObject({ cause: { reason: 'failed' } });
    expect(paired).toBe(false);
    const heard = JSON.stringify([clientError.message, (clientError.cause as Error).message]);
    expect(heard).not.toMatch(/ENOSPC|var\/lib/);
    // The edge's own log keeps the reason.
    const edgeError = (await serverSession.closed) as Error;
    expect((edgeError.cause as Error).message).toContain('ENOSPC');
  });

  it('a generic failure when the window cannot record the attempt', async () => {
    const edge = edgeWith({
      beginAttempt: async () => {
        throw new Error(INTERNAL);
      },
    });
    const client = sendsPair(pairMessage({}));
    const { clientSession } = connect(edge.authenticator, client.authenticate);
    await expect.poll(() => client.answers).toEqual([{ t: 'refused', reason: 'failed' }]);
    const closed = await clientSession.closed;
    expect(String(closed?.message)).not.toContain('ENOSPC');
  });
});

function pairMessage(
  fields: Partial<Extract<AuthMessage, { t: 'pair' }>>,
): Extract<AuthMessage, { t: 'pair' }> {
  const sid = fields.sid ?? randomBytes(16);
  return { t: 'pair', clientName: 'junk', sid, msg: fields.msg ?? honestShare(sid) };
}

/** A CPace message around `share`: prefix-free, the share then the client id. */
function cpace(share: Uint8Array): Uint8Array {
  return cpaceMessage(share, utf8(binding.clientId));
}
