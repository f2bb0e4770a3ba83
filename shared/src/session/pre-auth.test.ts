import { FakeChannel, rawFrames } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONTROL_PAYLOAD } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { serveRequests } from '../server/serve-requests.js';
import { decodeReason } from '../wire/control.js';
import { encodeFrame, encodeUint32 } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import type { AuthChannel } from './auth.js';
import { PRE_AUTH_MAX_MESSAGE } from './pre-auth.js';
import { openSession } from './session.js';

const GET = { method: 'GET', path: '/', headers: [] };
const INTERNAL = 'ENOSPC: no space left on device, open /var/lib/peerfetch/paired-clients.json';

afterEach(() => {
  vi.useRealTimers();
});

/** A lock that the test opens: the authenticator holds the session in its handshake until then. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** A server session whose authenticator has not decided yet; its peer is played by hand. */
function preAuthServer(options: { hello?: boolean; handshakeTimeoutMs?: number } = {}) {
  const channel = new FakeChannel();
  const decided = gate();
  const authMessages: Uint8Array[] = [];
  const session = openSession(channel, {
    role: 'server',
    maxMessageSize: 256 * 1024,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    authenticate: async (auth: AuthChannel) => {
      authMessages.push(await auth.receive());
      await decided.opened;
    },
  });
  const handled: string[] = [];
  serveRequests(session, async (request) => {
    handled.push(new URL(request.url).pathname);
    return new Response('secret');
  });
  if (options.hello !== false) channel.inject(rawFrames.hello({ batch: true }).buffer);
  return { channel, session, handled, authMessages, authenticate: decided.open };
}

type Setup = ReturnType<typeof preAuthServer>;

const sentTypes = (setup: Setup) => setup.channel.sentFrames().map((f) => f.type);

async function expectClosedWith(setup: Setup, code: string, genericText: string) {
  const reason = await setup.session.closed;
  expect(reason).toBeInstanceOf(ProtocolError);
  expect((reason as ProtocolError).code).toBe(code);
  const error = setup.channel.sentFrames().find((f) => f.type === FrameType.Error);
  expect(error, 'an ERROR frame tells the peer').toBeDefined();
  // A code and its words only: what was checked and why stays in our own logs.
  expect(decodeReason(error!.payload)).toEqual({ code, message: genericText });
}

const disallowed: [string, () => Uint8Array<ArrayBuffer>][] = [
  ['PING', () => rawFrames.ping(7)],
  ['PONG', () => encodeFrame(FrameType.Pong, 0, 0, encodeUint32(7))],
  ['BATCH', () => rawFrames.batch(rawFrames.ping(1), rawFrames.ping(2))],
  [
    'BATCH of AUTH frames',
    () => rawFrames.batch(encodeFrame(FrameType.Auth, 0, 0, new Uint8Array(3))),
  ],
  ['REQUEST', () => rawFrames.request(1, GET)],
  ['RESPONSE', () => rawFrames.response(1, { status: 200, statusText: '', headers: [] })],
  ['DATA', () => rawFrames.data(1, new Uint8Array(4))],
  ['CREDIT', () => rawFrames.credit(1, 1024)],
  ['CANCEL', () => rawFrames.cancel(1)],
];

describe('before authentication a server takes HELLO, AUTH, ERROR and GOAWAY only', () => {
  for (const [name, frame] of disallowed) {
    it(`${name} closes the session with unexpected-frame`, async () => {
      const setup = preAuthServer();
      setup.channel.inject(frame().buffer);
      await expectClosedWith(setup, 'unexpected-frame', 'unexpected frame');
      expect(sentTypes(setup)).toEqual([FrameType.Hello, FrameType.Error]);
      expect(setup.handled).toEqual([]);
      await expect(setup.session.ready).rejects.toMatchObject({ code: 'unexpected-frame' });
    });
  }

  it('a PING before HELLO closes the session too, unanswered', async () => {
    const setup = preAuthServer({ hello: false });
    setup.channel.inject(rawFrames.ping(1).buffer);
    await expectClosedWith(setup, 'unexpected-frame', 'unexpected frame');
    expect(sentTypes(setup)).toEqual([FrameType.Hello, FrameType.Error]);
  });

  it('a flood of PINGs gets no PONG: the first ends the session and nothing else is answered', async () => {
    const setup = preAuthServer();
    for (let id = 1; id <= 10_000; id++) setup.channel.inject(rawFrames.ping(id).buffer);
    await expectClosedWith(setup, 'unexpected-frame', 'unexpected frame');
    expect(sentTypes(setup)).not.toContain(FrameType.Pong);
    expect(setup.channel.sent).toHaveLength(2);
    setup.channel.closeFromPeer();
    expect(setup.channel.listenerCount, 'nothing listens once the channel is gone').toBe(0);
  });

  it('takes the AUTH exchange, then answers PING and serves requests once authenticated', async () => {
    const setup = preAuthServer();
    setup.channel.inject(encodeFrame(FrameType.Auth, 0, 0, new Uint8Array([1, 2, 3])).buffer);
    await vi.waitFor(() => expect(setup.authMessages).toHaveLength(1));
    expect(setup.session.isClosed).toBe(false);
    setup.authenticate();
    await setup.session.ready;
    setup.channel.inject(rawFrames.ping(9).buffer);
    setup.channel.inject(rawFrames.request(1, GET).buffer);
    await vi.waitFor(() => expect(setup.handled).toEqual(['/']));
    expect(sentTypes(setup)).toContain(FrameType.Pong);
    setup.session.close();
  });

  it('refuses an AUTH larger than a control payload by its length, before parsing it', async () => {
    const setup = preAuthServer();
    const huge = new Uint8Array(MAX_CONTROL_PAYLOAD + 1).fill(0xc1); // 0xc1: never valid msgpack
    setup.channel.inject(encodeFrame(FrameType.Auth, 0, 0, huge).buffer);
    await expectClosedWith(setup, 'frame-too-large', 'frame too large');
    expect(setup.authMessages).toEqual([]);
  });

  it('refuses any message over one control frame, whatever its type or content', async () => {
    for (const size of [PRE_AUTH_MAX_MESSAGE + 1, 200 * 1024]) {
      const setup = preAuthServer({ hello: false });
      const message = new Uint8Array(size).fill(0xff); // an unknown type, were it parsed
      message[0] = FrameType.Hello;
      setup.channel.inject(message.buffer);
      await expectClosedWith(setup, 'frame-too-large', 'frame too large');
    }
  });

  it('still takes a control frame of exactly the largest size', async () => {
    const setup = preAuthServer();
    const payload = new Uint8Array(MAX_CONTROL_PAYLOAD);
    setup.channel.inject(encodeFrame(FrameType.Auth, 0, 0, payload).buffer);
    await vi.waitFor(() => expect(setup.authMessages).toHaveLength(1));
    expect(setup.authMessages[0]!.byteLength).toBe(MAX_CONTROL_PAYLOAD);
    setup.session.close();
  });

  it('has a deadline: a peer that never finishes is told only the code', async () => {
    const setup = preAuthServer({ handshakeTimeoutMs: 50 });
    await expectClosedWith(setup, 'handshake-failed', 'handshake failed');
    expect(String((await setup.session.closed)?.message)).toMatch(/within 50 ms/);
  });

  it("never sends an authenticator's internal error text to the peer", async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, {
      role: 'server',
      maxMessageSize: 256 * 1024,
      authenticate: async (auth) => {
        await auth.receive();
        throw new Error(INTERNAL);
      },
    });
    channel.inject(rawFrames.hello().buffer);
    channel.inject(encodeFrame(FrameType.Auth, 0, 0, new Uint8Array([1])).buffer);
    const reason = await session.closed;
    expect(String(reason?.message), 'our own logs keep the detail').toContain('ENOSPC');
    const sent = new TextDecoder().decode(Buffer.concat(channel.sent));
    expect(sent).not.toContain('ENOSPC');
    expect(sent).not.toContain('/var/lib');
    const error = channel.sentFrames().find((f) => f.type === FrameType.Error)!;
    expect(decodeReason(error.payload)).toEqual({
      code: 'handshake-failed',
      message: 'handshake failed',
    });
  });

  it('tells an authenticated peer the detail of a violation, as before', async () => {
    const setup = preAuthServer();
    setup.channel.inject(encodeFrame(FrameType.Auth, 0, 0, new Uint8Array([1])).buffer);
    setup.authenticate();
    await setup.session.ready;
    setup.channel.inject(rawFrames.data(9, new Uint8Array(4)).buffer);
    const reason = await setup.session.closed;
    expect(reason).toMatchObject({ code: 'bad-ticket' });
    const error = setup.channel.sentFrames().find((f) => f.type === FrameType.Error)!;
    expect(decodeReason(error.payload).message).toMatch(/ticket 9/);
  });
});

describe('neither side pings or batches before it is authenticated', () => {
  /** A session of `role` whose authenticator sends two AUTH messages, then waits for the test. */
  function waitingSession(role: 'client' | 'server') {
    const channel = new FakeChannel();
    const decided = gate();
    const session = openSession(channel, {
      role,
      maxMessageSize: 256 * 1024,
      pingIntervalMs: 20,
      handshakeTimeoutMs: 5_000,
      authenticate: async (auth) => {
        auth.send(new Uint8Array([1]));
        auth.send(new Uint8Array([2]));
        await decided.opened;
      },
    });
    channel.inject(rawFrames.hello({ batch: true }).buffer);
    return { channel, session, authenticate: decided.open };
  }

  for (const role of ['client', 'server'] as const) {
    it(`a ${role} sends no PING and no BATCH during a slow handshake, and pings once open`, async () => {
      const { channel, session, authenticate } = waitingSession(role);
      await new Promise((resolve) => setTimeout(resolve, 200)); // ten ping intervals
      const first = channel.sent.map((m) => m[0]);
      expect(first, 'HELLO and each AUTH alone').toEqual([
        FrameType.Hello,
        FrameType.Auth,
        FrameType.Auth,
      ]);
      authenticate();
      await session.ready;
      await vi.waitFor(() =>
        expect(channel.sentFrames().map((f) => f.type)).toContain(FrameType.Ping),
      );
      session.close();
    });
  }

  it('a client drops a PING from a server that is still authenticating, without answering', async () => {
    const { channel, session, authenticate } = waitingSession('client');
    channel.inject(rawFrames.ping(5).buffer);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(session.isClosed).toBe(false);
    expect(channel.sentFrames().map((f) => f.type)).not.toContain(FrameType.Pong);
    authenticate();
    await session.ready;
    session.close();
  });
});
