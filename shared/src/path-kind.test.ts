import { describe, expect, it } from 'vitest';
import { pathKindFromStats, readPathStats } from './path-kind.js';

function stats(local: string, remote: string, viaTransport = true, remoteAddress = '203.0.113.9') {
  const entries: Record<string, unknown>[] = [
    {
      id: 'P1',
      type: 'candidate-pair',
      localCandidateId: 'Lx',
      remoteCandidateId: 'Rx',
      state: 'failed',
    },
    {
      id: 'P2',
      type: 'candidate-pair',
      localCandidateId: 'L',
      remoteCandidateId: 'R',
      state: 'succeeded',
      nominated: true,
      selected: !viaTransport,
    },
    { id: 'L', type: 'local-candidate', candidateType: local },
    { id: 'R', type: 'remote-candidate', candidateType: remote, address: remoteAddress },
    { id: 'Lx', type: 'local-candidate', candidateType: 'relay' },
    { id: 'Rx', type: 'remote-candidate', candidateType: 'relay' },
  ];
  if (viaTransport) entries.push({ id: 'T', type: 'transport', selectedCandidatePairId: 'P2' });
  return new Map(entries.map((e) => [e.id as string, e as { id: string; type: string }]));
}

describe('pathKindFromStats', () => {
  it('reads the selected pair of the transport', () => {
    expect(pathKindFromStats(stats('host', 'host'))).toBe('direct');
    expect(pathKindFromStats(stats('srflx', 'host'))).toBe('stun');
    expect(pathKindFromStats(stats('host', 'prflx'))).toBe('stun');
    expect(pathKindFromStats(stats('relay', 'srflx'))).toBe('relay');
  });
  it('counts a peer-reflexive candidate with a local address as direct', () => {
    expect(pathKindFromStats(stats('host', 'prflx', true, '127.0.0.1'))).toBe('direct');
    expect(pathKindFromStats(stats('host', 'prflx', true, '192.168.1.7'))).toBe('direct');
    expect(pathKindFromStats(stats('host', 'prflx', true, 'fd12:3456::1'))).toBe('direct');
    expect(pathKindFromStats(stats('host', 'prflx', true, '172.32.0.1'))).toBe('stun');
  });
  it('falls back to the pair marked selected (Firefox)', () => {
    expect(pathKindFromStats(stats('host', 'srflx', false))).toBe('stun');
  });
  it('reads the ICE round-trip time of the selected pair in ms', () => {
    const report = stats('host', 'host');
    report.set('P2', { ...report.get('P2')!, currentRoundTripTime: 0.0042 } as {
      id: string;
      type: string;
    });
    expect(readPathStats(report)).toEqual({ path: 'direct', rttMs: 4.2 });
  });
  it('is undefined before a pair is selected', () => {
    expect(pathKindFromStats(new Map([['T', { id: 'T', type: 'transport' }]]))).toBeUndefined();
  });
});
