import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchPath } from './path-watch';

function fakePc() {
  const target = new EventTarget();
  return Object.assign(target, {
    iceConnectionState: 'connected' as RTCIceConnectionState,
    to(state: RTCIceConnectionState) {
      this.iceConnectionState = state;
      target.dispatchEvent(new Event('iceconnectionstatechange'));
    },
  });
}

afterEach(() => vi.useRealTimers());

describe('watchPath', () => {
  it('reports a failed path at once, and only once', () => {
    const pc = fakePc();
    const lost = vi.fn();
    watchPath(pc, lost);
    pc.to('failed');
    pc.to('failed');
    expect(lost).toHaveBeenCalledTimes(1);
    expect(lost.mock.calls[0]![0]).toMatch(/failed/);
  });

  it('reports a disconnected path after the grace, unless it recovers first', () => {
    vi.useFakeTimers();
    const pc = fakePc();
    const lost = vi.fn();
    watchPath(pc, lost, 2000);
    pc.to('disconnected');
    vi.advanceTimersByTime(1500);
    pc.to('connected');
    vi.advanceTimersByTime(5000);
    expect(lost).not.toHaveBeenCalled();
    pc.to('disconnected');
    vi.advanceTimersByTime(2000);
    expect(lost).toHaveBeenCalledTimes(1);
    expect(lost.mock.calls[0]![0]).toMatch(/network change/);
  });

  it('stops watching when told', () => {
    const pc = fakePc();
    const lost = vi.fn();
    const stop = watchPath(pc, lost);
    stop();
    pc.to('failed');
    expect(lost).not.toHaveBeenCalled();
  });
});
