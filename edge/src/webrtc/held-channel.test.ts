import { createMemoryChannelPair } from '@peerfetch/shared/testing';
import { describe, expect, it } from 'vitest';
import {
  closeWhenSettled,
  FENCED_SEND_BYTES,
  holdMessages,
  onRemoteDataChannel,
} from './held-channel.js';

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

describe('readyState', () => {
  it('is read from the channel only until it is open, and is closed once it closes', async () => {
    const [a] = createMemoryChannelPair({ openAfterMs: 5 });
    let nativeReads = 0;
    const native = Object.getOwnPropertyDescriptor(a, 'readyState')!;
    let state = native.value as string;
    Object.defineProperty(a, 'readyState', {
      get: () => {
        nativeReads++;
        return state;
      },
      set: (value: string) => {
        state = value;
      },
    });
    const held = holdMessages(a);
    expect(held.readyState).toBe('connecting');
    await new Promise((r) => a.addEventListener('open', r));
    expect(held.readyState).toBe('open');
    const readsUntilOpen = nativeReads;
    for (let i = 0; i < 100; i++) expect(held.readyState).toBe('open');
    expect(nativeReads).toBe(readsUntilOpen);
    const closed = new Promise((r) => a.addEventListener('close', r));
    a.close();
    await closed;
    expect(held.readyState).toBe('closed');
  });
});

describe('send', () => {
  /** An open channel whose native readyState reads are counted and can be changed. */
  function countedChannel() {
    const [a, b] = createMemoryChannelPair();
    const counted = { reads: 0, state: 'open', channel: a, peer: b };
    Object.defineProperty(a, 'readyState', {
      get: () => {
        counted.reads++;
        return counted.state;
      },
    });
    return counted;
  }

  it('reads the native state right before sending a body-sized message', () => {
    const counted = countedChannel();
    const held = holdMessages(counted.channel);
    // Small control frames skip the extra blocking call (the in-memory channel's own send
    // reads its state too).
    held.send(new Uint8Array(FENCED_SEND_BYTES - 1));
    const bySend = counted.reads;
    counted.reads = 0;
    held.send(new Uint8Array(FENCED_SEND_BYTES));
    expect(counted.reads).toBe(bySend + 1);
  });

  it('refuses a body-sized message once the native channel is no longer open', () => {
    const counted = countedChannel();
    const held = holdMessages(counted.channel);
    counted.channel.send = () => {
      throw new Error('reached the native send');
    };
    counted.state = 'closing';
    expect(() => held.send(new Uint8Array(FENCED_SEND_BYTES))).toThrow(/no longer open/);
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

describe('closeWhenSettled', () => {
  it('closes the connection only after the channel has reported its close', async () => {
    const [a, b] = createMemoryChannelPair({ latencyMs: 30 });
    const held = holdMessages(a);
    let closedAt: number | undefined;
    const connection = { close: () => (closedAt = performance.now()) };
    const started = performance.now();
    held.close();
    const closing = closeWhenSettled(connection, held);
    expect(closedAt).toBeUndefined();
    await closing;
    expect(b.readyState).toBe('closed');
    expect(closedAt! - started).toBeLessThan(1000);
  });

  it('closes the connection at once when its peer connection was closed', async () => {
    const [a] = createMemoryChannelPair();
    const peerConnection = { close() {} };
    const held = holdMessages(a, peerConnection);
    peerConnection.close();
    let closed = false;
    await closeWhenSettled({ close: () => (closed = true) }, held, 60_000);
    expect(closed).toBe(true);
  });

  it('closes the connection anyway when the channel never settles', async () => {
    const [a] = createMemoryChannelPair();
    const held = holdMessages(a);
    let closed = false;
    await closeWhenSettled({ close: () => (closed = true) }, held, 50);
    expect(closed).toBe(true);
    expect(a.readyState).toBe('open');
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
