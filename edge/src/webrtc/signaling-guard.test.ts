import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createSignalingGuard, type SignalingGuardOptions } from './signaling-guard.js';

const logger = pino({ level: 'silent' });
const sdp = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };

const offer = (src: string, connectionId: string, extra: Record<string, unknown> = {}) => ({
  type: 'OFFER',
  src,
  dst: 'edge',
  payload: { type: 'data', connectionId, sdp, serialization: 'raw', reliable: true, ...extra },
});
const candidate = (src: string, connectionId: string) => ({
  type: 'CANDIDATE',
  src,
  payload: {
    connectionId,
    candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' },
  },
});

function guard(options: Partial<SignalingGuardOptions> = {}) {
  let now = 0;
  const created = createSignalingGuard({
    isPaired: (id) => id.startsWith('paired'),
    logger,
    now: () => now,
    ...options,
  });
  return { guard: created, advance: (ms: number) => (now += ms) };
}

describe('signaling guard', () => {
  it('passes well-formed server messages and data offers', () => {
    const { guard: g } = guard();
    expect(g.admit({ type: 'OPEN' })).toEqual({ type: 'OPEN' });
    expect(g.admit({ type: 'ERROR', payload: { msg: 'no' } })).toBeDefined();
    expect(g.admit(offer('phone', 'dc_1'))?.type).toBe('OFFER');
    expect(g.admit(candidate('phone', 'dc_1'))?.type).toBe('CANDIDATE');
    expect(g.admit({ type: 'LEAVE', src: 'phone' })?.type).toBe('LEAVE');
    expect(g.dropped).toEqual({});
  });

  it('drops what once ended the process, and counts why', () => {
    const { guard: g } = guard();
    const hostile = [
      null,
      'OFFER',
      { type: 'OFFER', src: 'x', payload: null },
      offer('x', 'dc_2', { serialization: 'evil' }),
      offer('x', 'dc_3', { sdp: null }),
      offer('x', 'dc_4', { type: 'media' }),
      { type: 'ERROR', payload: null },
      { type: 'ANSWER', src: 'x', payload: { connectionId: 'dc_1', sdp } },
      candidate('x', 'never-offered'),
      { type: 'CANDIDATE', src: 'x', payload: { connectionId: 'dc_1', candidate: null } },
    ];
    for (const message of hostile) expect(g.admit(message)).toBeUndefined();
    expect(g.dropped).toEqual({
      malformed: 6,
      'unsupported-connection': 1,
      'media-call': 1,
      'answer-unsolicited': 1,
      'candidate-unknown-connection': 1,
    });
    expect(g.pending).toBe(0);
  });

  it('never lets an arbitrary value through unvalidated', () => {
    const { guard: g } = guard();
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const admitted = g.admit(value);
        if (admitted === undefined) return;
        expect(typeof admitted.type).toBe('string');
      }),
    );
  });

  it('caps unauthenticated connections per stranger and for all strangers together', () => {
    const { guard: g, advance } = guard({ limits: { strangerOffersPerSecond: 1000 } });
    advance(1000);
    expect(g.admit(offer('s1', 'a'))).toBeDefined();
    expect(g.admit(offer('s1', 'b'))).toBeDefined();
    expect(g.admit(offer('s1', 'c'))).toBeUndefined();
    for (let i = 2; i <= 7; i++) expect(g.admit(offer(`s${i}`, 'a'))).toBeDefined();
    expect(g.pending).toBe(8);
    expect(g.admit(offer('s9', 'a'))).toBeUndefined();
    expect(g.dropped['pending-limit']).toBe(2);
    // A paired client is never behind the strangers.
    expect(g.admit(offer('paired-phone', 'a'))).toBeDefined();
    // A connection that authenticates or goes away frees its place.
    g.authenticated('s1', 'a');
    g.released('s2', 'a');
    expect(g.admit(offer('s9', 'a'))).toBeDefined();
    expect(g.admit(offer('s10', 'a'))).toBeDefined();
    expect(g.admit(offer('s11', 'a'))).toBeUndefined();
  });

  it('rate-limits strangers offers but not paired clients', () => {
    const { guard: g, advance } = guard();
    let admitted = 0;
    for (let i = 0; i < 50; i++) {
      const id = `s${i}`;
      if (g.admit(offer(id, 'a'))) admitted++;
      g.released(id, 'a');
    }
    expect(admitted).toBe(10);
    expect(g.dropped['offer-rate']).toBe(40);
    advance(500);
    expect(g.admit(offer('late', 'a'))).toBeDefined();
    for (let i = 0; i < 4; i++) expect(g.admit(offer('paired-1', `c${i}`))).toBeDefined();
  });

  it('bounds candidates per connection and drops duplicate offers', () => {
    const { guard: g } = guard();
    g.admit(offer('phone', 'dc_1'));
    expect(g.admit(offer('phone', 'dc_1'))).toBeUndefined();
    let passed = 0;
    for (let i = 0; i < 100; i++) if (g.admit(candidate('phone', 'dc_1'))) passed++;
    expect(passed).toBe(32);
    expect(g.dropped['candidate-flood']).toBe(68);
    expect(g.dropped['offer-duplicate']).toBe(1);
  });

  it('logs drops at a bounded rate, with the count it did not log', () => {
    const lines: { alsoDropped?: number }[] = [];
    const { guard: g, advance } = guard({
      logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
    });
    for (let i = 0; i < 1000; i++) g.admit({ type: 'junk' });
    expect(lines).toHaveLength(1);
    advance(10_000);
    g.admit({ type: 'junk' });
    expect(lines).toHaveLength(2);
    expect(lines[1]?.alsoDropped).toBe(999);
  });
});
