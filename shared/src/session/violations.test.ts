import { FakeChannel, rawFrames } from '@peerfetch/shared/testing';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { serveRequests } from '../server/serve-requests.js';
import { decodeReason } from '../wire/control.js';
import { encodeFrame, encodeUint32 } from '../wire/frame.js';
import { FrameType } from '../wire/frame-types.js';
import { openSession } from './session.js';

const GET = { method: 'GET', path: '/', headers: [] };

/** A server session whose peer is played by hand; the handler never answers. */
function serverWithRawPeer(options: { hello?: boolean } = {}) {
  const channel = new FakeChannel();
  const session = openSession(channel, { role: 'server', maxMessageSize: 256 * 1024 });
  const seen: string[] = [];
  serveRequests(session, async (request) => {
    seen.push(new URL(request.url).pathname);
    return new Promise<Response>(() => {});
  });
  if (options.hello !== false) channel.inject(rawFrames.hello().buffer);
  return { channel, session, seen };
}

async function expectProtocolError(
  setup: ReturnType<typeof serverWithRawPeer>,
  code: string,
): Promise<void> {
  const reason = await setup.session.closed;
  expect(reason).toBeInstanceOf(ProtocolError);
  expect((reason as ProtocolError).code).toBe(code);
  const errorFrame = setup.channel.sentFrames().find((frame) => frame.type === FrameType.Error);
  expect(errorFrame, 'an ERROR frame tells the peer why').toBeDefined();
  expect(decodeReason(errorFrame!.payload).code).toBe(code);
  // The peer closes the channel once it has the ERROR (PROTOCOL.md §8).
  expect(setup.channel.readyState).toBe('open');
}

describe('protocol violations close the session with an ERROR frame', () => {
  it('a request before HELLO', async () => {
    const setup = serverWithRawPeer({ hello: false });
    setup.channel.inject(rawFrames.request(1, GET).buffer);
    await expectProtocolError(setup, 'unexpected-frame');
    expect(setup.seen).toEqual([]);
  });

  it('a second HELLO', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.hello().buffer);
    await expectProtocolError(setup, 'unexpected-frame');
  });

  it('a reused or out-of-order ticket id', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.request(5, GET).buffer);
    setup.channel.inject(rawFrames.request(3, GET).buffer);
    await expectProtocolError(setup, 'bad-ticket');
  });

  it('body bytes for a ticket never opened', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.data(9, new Uint8Array(4)).buffer);
    await expectProtocolError(setup, 'bad-ticket');
  });

  it('body bytes after the end of a message', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(
      rawFrames.request(1, { ...GET, method: 'POST' }, new Uint8Array(3), false).buffer,
    );
    setup.channel.inject(rawFrames.data(1, new Uint8Array(3), true).buffer);
    setup.channel.inject(rawFrames.data(1, new Uint8Array(3)).buffer);
    await expectProtocolError(setup, 'unexpected-frame');
  });

  it('more body bytes than the window allows', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(
      rawFrames.request(1, { ...GET, method: 'POST' }, new Uint8Array(0), false).buffer,
    );
    const chunk = new Uint8Array(200 * 1024);
    for (let i = 0; i < 6; i++) setup.channel.inject(rawFrames.data(1, chunk).buffer);
    await expectProtocolError(setup, 'flow-control');
  });

  it('a zero credit', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.request(1, GET).buffer);
    setup.channel.inject(rawFrames.credit(1, 0).buffer);
    await expectProtocolError(setup, 'flow-control');
  });

  it('a RESPONSE sent to a server', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.request(1, GET).buffer);
    setup.channel.inject(
      rawFrames.response(1, { status: 200, statusText: '', headers: [] }).buffer,
    );
    await expectProtocolError(setup, 'unexpected-frame');
  });

  it('a text message', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject('GET / HTTP/1.1');
    await expectProtocolError(setup, 'malformed-frame');
  });

  it('a malformed head', async () => {
    const setup = serverWithRawPeer();
    const junkHead = new Uint8Array([0x93, 1, 2, 3]);
    setup.channel.inject(
      encodeFrame(FrameType.Request, 1, 1, encodeUint32(junkHead.byteLength), junkHead).buffer,
    );
    await expectProtocolError(setup, 'bad-head');
  });

  it('an unsupported version, refused with its own error', async () => {
    const setup = serverWithRawPeer({ hello: false });
    setup.channel.inject(rawFrames.hello({ versions: [99] }).buffer);
    const reason = await setup.session.closed;
    expect(reason?.name).toBe('PeerFetchUnsupportedVersionError');
    const errorFrame = setup.channel.sentFrames().find((frame) => frame.type === FrameType.Error)!;
    expect(decodeReason(errorFrame.payload).code).toBe('unsupported-version');
  });
});

describe('tolerated races', () => {
  it('ignores late frames for a ticket that was cancelled', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(
      rawFrames.request(1, { ...GET, method: 'POST' }, new Uint8Array(1), false).buffer,
    );
    setup.channel.inject(rawFrames.cancel(1).buffer);
    setup.channel.inject(rawFrames.data(1, new Uint8Array(10)).buffer);
    setup.channel.inject(rawFrames.credit(1, 10).buffer);
    setup.channel.inject(rawFrames.request(2, GET).buffer);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(setup.session.isClosed).toBe(false);
    expect(setup.seen).toEqual(['/', '/']);
    setup.session.close();
  });

  it('answers pings with pongs carrying the same id', () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.ping(0xabcdef).buffer);
    const pong = setup.channel.sentFrames().find((frame) => frame.type === FrameType.Pong)!;
    expect([...pong.payload]).toEqual([0x00, 0xab, 0xcd, 0xef]);
    setup.session.close();
  });

  it('treats GOAWAY as a clean close', async () => {
    const setup = serverWithRawPeer();
    setup.channel.inject(rawFrames.goAway('bye').buffer);
    expect(await setup.session.closed).toBeUndefined();
  });
});

describe('a peer that leaves during authentication', () => {
  it('gets no farewell frames written after it', async () => {
    const channel = new FakeChannel();
    const session = openSession(channel, {
      role: 'server',
      maxMessageSize: 256 * 1024,
      authenticate: async (auth) => {
        await auth.receive();
      },
    });
    channel.inject(rawFrames.hello().buffer);
    const sentBefore = channel.sent.length;
    channel.inject(encodeFrame(FrameType.Error, 0, 0, new Uint8Array()).buffer);
    const reason = await session.closed;
    expect(reason).toMatchObject({ code: 'handshake-failed' });
    expect(channel.sent.length).toBe(sentBefore);
    expect(channel.readyState, 'the receiver of ERROR closes the channel').toBe('closed');
  });
});
