import { FakeChannel, framesOf, rawFrames } from '@peerfetch/shared/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, UnsupportedVersionError } from '../errors.js';
import { serveRequests } from '../server/serve-requests.js';
import { webSocketUpgradeOf } from '../server/websocket-upgrade.js';
import { openSession } from '../session/session.js';
import { encodeReason } from './control.js';
import { encodeFrame, encodeUint32, splitMessagePayload } from './frame.js';
import { FrameType } from './frame-types.js';
import {
  decodeRequestHead,
  decodeResponseHead,
  encodeRequestHead,
  TooManyHeaderFieldsError,
} from './heads.js';
import { encodeClosePayload, encodeWsRecord, WsOpcode } from './ws-records.js';

const LIMIT = 256 * 1024;
const headers: [string, string][] = [
  ['content-type', 'application/json'],
  ['x-a', 'b'],
];

/** Valid frames of every type, the seeds that mutations start from. */
const validFrames: Uint8Array[] = [
  rawFrames.hello(),
  rawFrames.request(
    1,
    { method: 'POST', path: '/api/x?y=1', headers },
    new Uint8Array([1, 2, 3]),
    false,
  ),
  rawFrames.request(2, { method: 'GET', path: '/', headers: [] }),
  rawFrames.response(1, { status: 200, statusText: 'OK', headers }, new Uint8Array(10)),
  rawFrames.data(1, new Uint8Array([9, 9, 9]), true),
  rawFrames.credit(1, 65536),
  rawFrames.cancel(1, 'cancelled', 'bye'),
  rawFrames.ping(7),
  encodeFrame(FrameType.Pong, 0, 0, encodeUint32(7)),
  rawFrames.goAway('done'),
  encodeFrame(FrameType.Error, 0, 0, encodeReason({ code: 'bad-head', message: 'x' })),
  encodeFrame(FrameType.Auth, 0, 0, new Uint8Array([1, 2])),
  webSocketFrame(4, encodeWsRecord(WsOpcode.Text, new TextEncoder().encode('hi'))),
  rawFrames.data(4, encodeWsRecord(WsOpcode.Close, encodeClosePayload(4000, 'bye')), true),
  rawFrames.response(4, { status: 101, statusText: '', headers: [] }, new Uint8Array(), false),
  rawFrames.batch(
    rawFrames.request(3, { method: 'GET', path: '/a', headers: [] }),
    rawFrames.credit(1, 4096),
    rawFrames.ping(8),
  ),
];

/** A WEBSOCKET frame (PROTOCOL.md §12) opening `ticket`, with first records `body`. */
function webSocketFrame(ticket: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = encodeRequestHead({ method: 'GET', path: '/ws', headers: [] });
  return encodeFrame(FrameType.WebSocket, 0, ticket, encodeUint32(head.byteLength), head, body);
}

/** Accepts every WebSocket and echoes it, so a fuzzed peer's records are parsed. */
async function echoWebSockets(request: Request): Promise<Response> {
  const upgrade = webSocketUpgradeOf(request);
  if (upgrade) {
    const socket = upgrade.accept(
      {},
      {
        onMessage: (record) => socket.send(record.opcode, record.payload),
        onPeerClose: () => socket.close(),
        onBroken: () => {},
      },
    );
  }
  return new Response('ok');
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('ticket' as const), ticket: fc.nat({ max: 0xffffffff }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(frame: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = frame.slice();
  for (const m of mutations) {
    if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length] = m.value;
    if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1));
    if (m.kind === 'extend') bytes = Uint8Array.from([...bytes, ...m.bytes]);
    if (m.kind === 'ticket' && bytes.length >= 6) new DataView(bytes.buffer).setUint32(2, m.ticket);
  }
  return bytes;
}

const mutatedFrame = fc
  .tuple(fc.constantFrom(...validFrames), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([frame, mutations]) => mutate(frame, mutations));

const anyMessage = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  mutatedFrame,
  fc.constantFrom(...validFrames),
);

/**
 * Decoding any bytes gives a frame (whose head, if any, decodes or fails cleanly) or a
 * ProtocolError; a head with too many fields is refused for its exchange alone.
 */
function decodeTotally(bytes: Uint8Array): void {
  try {
    for (const { type, payload } of framesOf(bytes, LIMIT)) {
      if (type === FrameType.Request || type === FrameType.Response) {
        const { head } = splitMessagePayload(payload);
        if (type === FrameType.Request) decodeRequestHead(head);
        else decodeResponseHead(head);
      }
    }
  } catch (error) {
    if (!(error instanceof ProtocolError || error instanceof TooManyHeaderFieldsError)) throw error;
  }
}

describe('the decoder is total', () => {
  it('handles 10,000 random byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => decodeTotally(bytes)),
      { numRuns: 10_000 },
    );
  });

  it('handles 10,000 mutated valid frames', () => {
    fc.assert(
      fc.property(mutatedFrame, (bytes) => decodeTotally(bytes)),
      { numRuns: 10_000 },
    );
  });
});

describe('a session survives anything a peer sends', () => {
  for (const role of ['server', 'client'] as const) {
    it(`as ${role}: 10,000 sequences of random and mutated frames`, async () => {
      const unexpected: unknown[] = [];
      const onUncaught = (error: unknown) => unexpected.push(error);
      process.on('uncaughtException', onUncaught);
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(anyMessage, { minLength: 1, maxLength: 6 }),
            async (messages) => {
              const channel = new FakeChannel();
              const session = openSession(channel, {
                role,
                maxMessageSize: LIMIT,
                handshakeTimeoutMs: 1000,
              });
              if (role === 'server') serveRequests(session, echoWebSockets);
              channel.inject(rawFrames.hello({ websocket: 1 }).buffer);
              for (const message of messages) {
                if (session.isClosed) break;
                channel.inject(message.slice().buffer);
              }
              if (session.isClosed) {
                const reason = await session.closed;
                // Closed by a protocol error, a refused version, or the peer's own GOAWAY/ERROR.
                expect(
                  reason === undefined ||
                    reason instanceof ProtocolError ||
                    reason instanceof UnsupportedVersionError,
                ).toBe(true);
              }
              session.close();
              channel.closeFromPeer(); // as the peer does after a GOAWAY or ERROR
              expect(channel.listenerCount).toBe(0);
            },
          ),
          { numRuns: 10_000 },
        );
      } finally {
        process.off('uncaughtException', onUncaught);
      }
      expect(unexpected).toEqual([]);
    });
  }
});
