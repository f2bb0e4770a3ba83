import { createMemoryChannelPair } from '@peerfetch/shared';
import { describe, expect, it } from 'vitest';
import { holdMessages, onRemoteDataChannel } from './held-channel.js';

const bytes = (e: unknown) => [...new Uint8Array((e as MessageEvent).data as ArrayBuffer)];

describe('holdMessages', () => {
  it('keeps messages that arrive before anyone listens and replays them in order', async () => {
    const [a, b] = createMemoryChannelPair();
    b.binaryType = 'arraybuffer';
    const held = holdMessages(b);
    a.send(new Uint8Array([1]));
    a.send(new Uint8Array([2]));
    await new Promise((r) => setTimeout(r, 10));
    const seen: number[][] = [];
    held.addEventListener('message', (e) => seen.push(bytes(e)));
    expect(seen).toEqual([]); // still held
    held.release();
    expect(seen).toEqual([[1], [2]]);
    a.send(new Uint8Array([3]));
    await expect.poll(() => seen.length).toBe(3);
    expect(seen[2]).toEqual([3]);
  });

  it('passes everything else through to the channel', () => {
    const [a, b] = createMemoryChannelPair();
    const held = holdMessages(a);
    held.binaryType = 'arraybuffer';
    expect(a.binaryType).toBe('arraybuffer');
    held.bufferedAmountLowThreshold = 123;
    expect(a.bufferedAmountLowThreshold).toBe(123);
    expect(held.readyState).toBe('open');
    const closed = new Promise((r) => held.addEventListener('close', r));
    held.close();
    expect(b).toBeDefined();
    return closed;
  });
});

describe('after the peer connection closes', () => {
  it('never touches the native channel again (wrtc may crash on it)', () => {
    const [a] = createMemoryChannelPair();
    const peerConnection = new EventTarget() as EventTarget & { close(): void; closes: number };
    peerConnection.closes = 0;
    peerConnection.close = () => {
      peerConnection.closes++;
    };
    const held = holdMessages(a, peerConnection);
    peerConnection.close();
    expect(peerConnection.closes).toBe(1);
    // The real channel now explodes on any use, as wrtc's can.
    for (const name of ['send', 'close'] as const) {
      a[name] = () => {
        throw new Error(`${name} reached the native channel`);
      };
    }
    Object.defineProperty(a, 'bufferedAmount', {
      get: () => {
        throw new Error('bufferedAmount read');
      },
    });
    Object.defineProperty(a, 'readyState', {
      get: () => {
        throw new Error('readyState read');
      },
    });
    expect(held.readyState).toBe('closed');
    expect(held.bufferedAmount).toBe(0);
    expect(() => held.send(new Uint8Array([1]))).toThrow(/closed/);
    expect(() => held.close()).not.toThrow();
  });
});

describe('onRemoteDataChannel', () => {
  it('reports a peer connection without events as unsupported', () => {
    expect(onRemoteDataChannel({}, () => {})).toBe(false);
    const target = new EventTarget();
    const seen: unknown[] = [];
    expect(onRemoteDataChannel(target, (c) => seen.push(c))).toBe(true);
    const event = Object.assign(new Event('datachannel'), { channel: 'the channel' });
    target.dispatchEvent(event);
    expect(seen).toEqual(['the channel']);
  });
});
