import { describe, expect, it } from 'vitest';
import { describeState, formatRtt } from './connection-state';

describe('describeState', () => {
  const now = 1_000_000;
  it('counts down to the next retry in whole seconds', () => {
    const state = {
      kind: 'retrying' as const,
      attempt: 2,
      retryAt: now + 3200,
      reason: 'The device is not connected.',
    };
    expect(describeState(state, now)).toEqual({
      label: 'Offline',
      detail: 'The device is not connected. Retrying in 4 s.',
      tone: 'bad',
    });
    expect(describeState(state, now + 5000).detail).toMatch(/Retrying in 0 s/);
  });
  it('labels every other state', () => {
    expect(describeState({ kind: 'online', since: now, rttMs: 3.25 }, now)).toMatchObject({
      label: 'Online',
      detail: '3.3 ms round trip',
      tone: 'ok',
    });
    expect(describeState({ kind: 'connecting', attempt: 1 }, now)).toMatchObject({
      label: 'Connecting…',
      tone: 'busy',
    });
    expect(describeState({ kind: 'failed', reason: 'Update the app.' }, now)).toMatchObject({
      label: 'Failed',
      detail: 'Update the app.',
    });
    expect(describeState({ kind: 'offline', reason: 'No network.' }, now)).toMatchObject({
      label: 'Offline',
      tone: 'bad',
    });
    expect(describeState({ kind: 'idle' }, now).tone).toBe('idle');
  });
  it('keeps a device that stopped answering offline while it is dialled again', () => {
    const state = { kind: 'connecting' as const, attempt: 1, unreachable: 'It stopped answering.' };
    expect(describeState(state, now)).toEqual({
      label: 'Offline',
      detail: 'It stopped answering. Trying again…',
      tone: 'bad',
    });
  });
  it('waits for the signaling server without a countdown of its own', () => {
    const state = { kind: 'no-signaling' as const, reason: 'Waits for the server.' };
    expect(describeState(state, now)).toEqual({
      label: 'Waiting',
      detail: 'Waits for the server.',
      tone: 'idle',
    });
  });
  it('formats round trips with sensible precision', () => {
    expect(formatRtt(0.42)).toBe('0.4 ms');
    expect(formatRtt(42.4)).toBe('42 ms');
  });
});
