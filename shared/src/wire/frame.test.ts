import { rawFrames } from '@peerfetch/shared/testing';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_SIZE, MAX_CONTROL_PAYLOAD } from '../constants.js';
import { ProtocolError } from '../errors.js';
import {
  decodeBatch,
  decodeFrame,
  encodeFrame,
  encodeUint32,
  splitMessagePayload,
} from './frame.js';
import { FrameFlag, FrameType } from './frame-types.js';
import { decodeRequestHead } from './heads.js';

const LIMIT = 256 * 1024;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).code;
  }
  throw new Error('expected a ProtocolError');
}

describe('frame codec', () => {
  it('round-trips a data frame without copying the payload', () => {
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const bytes = encodeFrame(FrameType.Data, FrameFlag.End, 0xdeadbeef, body);
    expect(bytes.byteLength).toBe(FRAME_HEADER_SIZE + body.byteLength);
    const frame = decodeFrame(bytes.buffer, LIMIT);
    expect(frame).toMatchObject({ type: FrameType.Data, flags: FrameFlag.End, ticket: 0xdeadbeef });
    expect([...frame.payload]).toEqual([...body]);
    expect(frame.payload.buffer).toBe(bytes.buffer);
  });

  it('carries head and first body bytes in one request frame', () => {
    const head = {
      method: 'POST',
      path: '/api/x?y=1',
      headers: [['content-type', 'text/plain']] as [string, string][],
    };
    const frame = decodeFrame(rawFrames.request(7, head, new TextEncoder().encode('hi')), LIMIT);
    const { head: headBytes, body } = splitMessagePayload(frame.payload);
    expect(decodeRequestHead(headBytes)).toEqual(head);
    expect(new TextDecoder().decode(body)).toBe('hi');
    expect(frame.flags & FrameFlag.End).toBe(FrameFlag.End);
  });

  it('rejects frames shorter than the header', () => {
    expect(codeOf(() => decodeFrame(new Uint8Array(5), LIMIT))).toBe('malformed-frame');
    expect(codeOf(() => decodeFrame(new Uint8Array(0), LIMIT))).toBe('malformed-frame');
  });

  it('rejects frames over the limit', () => {
    expect(codeOf(() => decodeFrame(new Uint8Array(LIMIT + 1), LIMIT))).toBe('frame-too-large');
  });

  it('rejects unknown frame types and unknown flags', () => {
    expect(codeOf(() => decodeFrame(new Uint8Array([0x7f, 0, 0, 0, 0, 1]), LIMIT))).toBe(
      'unknown-frame-type',
    );
    expect(codeOf(() => decodeFrame(encodeFrame(FrameType.Data, 0x80, 1), LIMIT))).toBe(
      'malformed-frame',
    );
    expect(
      codeOf(() =>
        decodeFrame(encodeFrame(FrameType.Credit, FrameFlag.End, 1, encodeUint32(5)), LIMIT),
      ),
    ).toBe('malformed-frame');
  });

  it('keeps session frames on ticket 0 and message frames off it', () => {
    expect(
      codeOf(() => decodeFrame(encodeFrame(FrameType.Ping, 0, 3, encodeUint32(1)), LIMIT)),
    ).toBe('bad-ticket');
    expect(codeOf(() => decodeFrame(encodeFrame(FrameType.Data, 0, 0), LIMIT))).toBe('bad-ticket');
  });

  it('checks fixed payload sizes', () => {
    expect(
      codeOf(() => decodeFrame(encodeFrame(FrameType.Ping, 0, 0, new Uint8Array(3)), LIMIT)),
    ).toBe('malformed-frame');
    expect(
      codeOf(() => decodeFrame(encodeFrame(FrameType.Credit, 0, 1, new Uint8Array(8)), LIMIT)),
    ).toBe('malformed-frame');
  });

  it('bounds control payloads', () => {
    const big = new Uint8Array(MAX_CONTROL_PAYLOAD + 1);
    expect(codeOf(() => decodeFrame(encodeFrame(FrameType.Hello, 0, 0, big), LIMIT))).toBe(
      'frame-too-large',
    );
  });

  it('rejects a head length that does not fit the frame', () => {
    const lying = encodeFrame(FrameType.Request, 0, 1, encodeUint32(100), new Uint8Array(10));
    expect(codeOf(() => decodeFrame(lying, LIMIT))).toBe('malformed-frame');
    const tooShort = encodeFrame(FrameType.Response, 0, 1, new Uint8Array(3));
    expect(codeOf(() => decodeFrame(tooShort, LIMIT))).toBe('malformed-frame');
  });
});

describe('BATCH', () => {
  const request = rawFrames.request(1, { method: 'GET', path: '/a', headers: [] });
  const credit = rawFrames.credit(1, 4096);
  const payloadOf = (batch: Uint8Array) => decodeFrame(batch, LIMIT).payload;

  it('unpacks its frames in order, as views into the message', () => {
    const batch = rawFrames.batch(request, credit, rawFrames.ping(9));
    const outer = decodeFrame(batch, LIMIT);
    expect(outer).toMatchObject({ type: FrameType.Batch, flags: 0, ticket: 0 });
    const frames = [...decodeBatch(outer.payload, LIMIT)];
    expect(frames.map((f) => f.type)).toEqual([
      FrameType.Request,
      FrameType.Credit,
      FrameType.Ping,
    ]);
    expect(frames[1]!.payload.buffer).toBe(batch.buffer);
    expect(decodeRequestHead(splitMessagePayload(frames[0]!.payload).head).path).toBe('/a');
  });

  it('rejects an empty batch, a length that overruns it, and a cut-off length', () => {
    expect(codeOf(() => [...decodeBatch(new Uint8Array(0), LIMIT)])).toBe('malformed-frame');
    const overrun = payloadOf(rawFrames.batch(credit));
    new DataView(overrun.buffer, overrun.byteOffset).setUint32(0, credit.byteLength + 1);
    expect(codeOf(() => [...decodeBatch(overrun, LIMIT)])).toBe('malformed-frame');
    const cut = payloadOf(rawFrames.batch(credit)).subarray(0, 2);
    expect(codeOf(() => [...decodeBatch(cut, LIMIT)])).toBe('malformed-frame');
  });

  it('rejects a batch inside a batch, a HELLO inside one, and a bad frame inside one', () => {
    const nested = payloadOf(rawFrames.batch(rawFrames.batch(credit)));
    expect(codeOf(() => [...decodeBatch(nested, LIMIT)])).toBe('malformed-frame');
    const hello = payloadOf(rawFrames.batch(rawFrames.hello()));
    expect(codeOf(() => [...decodeBatch(hello, LIMIT)])).toBe('malformed-frame');
    const zeroTicketCredit = encodeFrame(FrameType.Credit, 0, 0, encodeUint32(1));
    const bad = payloadOf(rawFrames.batch(credit, zeroTicketCredit));
    expect(codeOf(() => [...decodeBatch(bad, LIMIT)])).toBe('bad-ticket');
  });

  it('is a session frame: never on a ticket, never with END', () => {
    const onTicket = rawFrames.batch(credit);
    new DataView(onTicket.buffer).setUint32(2, 5);
    expect(codeOf(() => decodeFrame(onTicket, LIMIT))).toBe('bad-ticket');
    const withEnd = rawFrames.batch(credit);
    withEnd[1] = FrameFlag.End;
    expect(codeOf(() => decodeFrame(withEnd, LIMIT))).toBe('malformed-frame');
  });
});
