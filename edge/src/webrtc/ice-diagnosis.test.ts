import { describe, expect, it } from 'vitest';
import { diagnoseIce } from './ice-diagnosis.js';

function fakePc(options: { gathered: string[]; urls: string[]; answered?: boolean }) {
  const listeners: Array<(event: unknown) => void> = [];
  return {
    addEventListener: (_type: string, listener: (event: unknown) => void) =>
      listeners.push(listener),
    fail: (event: unknown) => {
      for (const l of listeners) l(event);
    },
    getStats: async () =>
      new Map(
        options.gathered.map((candidateType, i) => [
          `c${i}`,
          { id: `c${i}`, type: 'local-candidate', candidateType },
        ]),
      ),
    getConfiguration: () => ({ iceServers: [{ urls: options.urls }] }),
    remoteDescription: options.answered === false ? null : { type: 'answer', sdp: '' },
  };
}

describe('diagnoseIce', () => {
  it('tells a device that never answered the offer from a network without a path', async () => {
    const pc = fakePc({ gathered: ['host'], urls: [], answered: false });
    expect(await diagnoseIce(pc).explain()).toBe(
      'the device did not answer: it is registered but not responding (stopped, hung or overloaded)',
    );
  });

  it('names a TURN refusal with its code', async () => {
    const pc = fakePc({ gathered: ['host', 'srflx'], urls: ['turn:203.0.113.1:3478'] });
    const diagnosis = diagnoseIce(pc);
    pc.fail({
      url: 'turn:203.0.113.1:3478?transport=udp',
      errorCode: 401,
      errorText: 'Unauthorized',
    });
    expect(await diagnosis.explain()).toBe(
      'the TURN server refused this client (401 Unauthorized), and no direct path worked',
    );
  });

  it('says the TURN server gave no relay address when it stayed silent', async () => {
    const pc = fakePc({ gathered: ['host'], urls: ['stun:203.0.113.1', 'turn:203.0.113.1'] });
    expect(await diagnoseIce(pc).explain()).toMatch(/^the TURN server gave no relay address/);
  });

  it('lists the candidates tried when there was no TURN to blame', async () => {
    const pc = fakePc({ gathered: ['srflx', 'host'], urls: ['stun:203.0.113.1'] });
    expect(await diagnoseIce(pc).explain()).toBe(
      'no network path to the device worked (candidates tried here: host, srflx)',
    );
  });
});
