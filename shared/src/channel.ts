/**
 * The part of RTCDataChannel that a session uses. A browser RTCDataChannel, a @roamhq/wrtc
 * one, PeerJS's `dataConnection.dataChannel` and the in-memory test channel all fit it as
 * they are. The session listens with addEventListener and never replaces `onmessage`, so
 * a wrapper such as PeerJS keeps working alongside it.
 */
export interface DataChannelLike {
  binaryType: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  /** 'connecting' | 'open' | 'closing' | 'closed' */
  readonly readyState: string;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(): void;
  // biome-ignore lint/suspicious/noExplicitAny: implementations type their events differently.
  addEventListener(type: string, listener: (event: any) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/** Resolves when the channel is open; rejects if it closes first. */
export function whenOpen(channel: DataChannelLike): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  if (channel.readyState !== 'connecting') {
    return Promise.reject(new Error(`data channel is ${channel.readyState}`));
  }
  return new Promise((resolve, reject) => {
    const onOpen = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error('data channel closed before it opened'));
    };
    const cleanup = () => {
      channel.removeEventListener('open', onOpen);
      channel.removeEventListener('close', onClose);
    };
    channel.addEventListener('open', onOpen);
    channel.addEventListener('close', onClose);
  });
}

/**
 * Resolves once the channel has closed, or after `timeoutMs`, whichever is first. Owners
 * of a session that said goodbye wait on this before tearing down the connection: the peer
 * closes the channel (PROTOCOL.md §8).
 */
export function whenClosed(channel: DataChannelLike, timeoutMs: number): Promise<void> {
  if (channel.readyState === 'closed') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      channel.removeEventListener('close', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    channel.addEventListener('close', done);
  });
}
