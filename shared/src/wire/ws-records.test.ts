import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import {
  decodeClosePayload,
  encodeClosePayload,
  encodeWsRecord,
  WsMessageTooBigError,
  WsOpcode,
  WsRecordParser,
} from './ws-records.js';

const dataOpcode = fc.constantFrom(WsOpcode.Text, WsOpcode.Binary);

describe('WebSocket records', () => {
  it('come out whole and in order however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ opcode: dataOpcode, payload: fc.uint8Array({ maxLength: 300 }) }), {
          maxLength: 20,
        }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1 }),
        (records, cuts) => {
          const stream = records.map((r) => encodeWsRecord(r.opcode, r.payload));
          const bytes = new Uint8Array(stream.reduce((n, r) => n + r.byteLength, 0));
          let at = 0;
          for (const r of stream) {
            bytes.set(r, at);
            at += r.byteLength;
          }
          const parser = new WsRecordParser(1024);
          const out = [];
          for (let i = 0, c = 0; i < bytes.byteLength; c++) {
            const size = cuts[c % cuts.length]!;
            out.push(...parser.push(bytes.subarray(i, i + size)));
            i += size;
          }
          expect(parser.atBoundary).toBe(true);
          expect(out.map((r) => [r.opcode, [...r.payload]])).toEqual(
            records.map((r) => [r.opcode, [...r.payload]]),
          );
        },
      ),
    );
  });

  it('refuse a message over the limit from its header, and junk opcodes as malformed', () => {
    expect(() =>
      new WsRecordParser(10).push(encodeWsRecord(WsOpcode.Binary, new Uint8Array(11))),
    ).toThrow(WsMessageTooBigError);
    expect(() => new WsRecordParser(10).push(new Uint8Array([0x3, 0, 0, 0, 0]))).toThrow(
      ProtocolError,
    );
    expect(() =>
      new WsRecordParser(1000).push(encodeWsRecord(WsOpcode.Ping, new Uint8Array(126))),
    ).toThrow(ProtocolError);
  });

  it('carry close codes and reasons', () => {
    expect(decodeClosePayload(encodeClosePayload(4001, 'bye ✓'))).toEqual({
      code: 4001,
      reason: 'bye ✓',
    });
    expect(decodeClosePayload(encodeClosePayload(undefined))).toEqual({ code: 1005, reason: '' });
  });
});
