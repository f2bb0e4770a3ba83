/**
 * Holds a DataChannel's messages until a session is ready to take them.
 *
 * @roamhq/wrtc queues every event through process.nextTick and does not always deliver a
 * channel's 'open' before its first 'message'; a session made at 'open' could then miss
 * the peer's HELLO. Holding the channel from the moment it exists (and releasing right
 * after the session is made, inside 'open': see open-event.ts) keeps every frame, in order.
 */
import { CHANNEL_CLOSE_WAIT_MS, type DataChannelLike } from '@peerfetch/shared';

type Listener = (event: unknown) => void;

/**
 * Messages at least this large get a native readyState read just before they are sent
 * (see `send` below): body frames, which is where a download spends its sends. Smaller
 * ones (CREDIT, PONG, short answers) skip it: each read is a blocking call into wrtc's
 * signaling thread, and an upload sends a CREDIT per chunk it takes in.
 */
export const FENCED_SEND_BYTES = 16 * 1024;

export interface HeldChannel extends DataChannelLike {
  /** Delivers the held messages to the message listeners, then passes new ones straight on. */
  release(): void;
  /**
   * Resolves once the native channel has finished closing (its 'close' event, or its peer
   * connection's close() returned). From then on no native call on it can race its teardown.
   */
  readonly settled: Promise<void>;
}

/**
 * Closes a PeerJS connection once its channel has settled (or after a bounded wait).
 * PeerJS's close reads the channel's readyState, and @roamhq/wrtc frees a native channel on
 * its signaling thread when a close completes; a read at that moment crashes the process.
 */
export async function closeWhenSettled(
  connection: { close(): void },
  held: HeldChannel | undefined,
  timeoutMs = CHANNEL_CLOSE_WAIT_MS,
): Promise<void> {
  if (held) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([held.settled, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
  connection.close();
}

/**
 * Wraps the channel so that it is held (see above) and so that nothing touches the native
 * channel once it or its peer connection has closed: @roamhq/wrtc can crash the whole
 * process (SIGSEGV in RTCDataChannel::Send) when a channel is used after the peer
 * connection closed, for example when PeerJS closes a connection and a session then says
 * goodbye on it. The closed state is tracked in JavaScript, with no native call.
 *
 * wrtc also frees a native channel on its signaling thread the moment a close completes,
 * while JavaScript may be inside a call on it; so a channel whose close is under way is
 * left alone until `settled` (see closeWhenSettled).
 */
export function holdMessages(channel: DataChannelLike, peerConnection?: unknown): HeldChannel {
  const held: unknown[] = [];
  const listeners = new Set<Listener>();
  let holding = true;
  let closed = false;
  let seenOpen = false;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const markClosed = () => {
    closed = true;
  };
  channel.addEventListener('close', () => {
    markClosed();
    settle();
  });
  watchPeerConnectionClose(peerConnection, markClosed, settle);
  channel.addEventListener('message', (event: unknown) => {
    if (holding) held.push(event);
    else for (const listener of [...listeners]) listener(event);
  });
  return {
    get binaryType() {
      return channel.binaryType;
    },
    set binaryType(value: string) {
      channel.binaryType = value;
    },
    get bufferedAmount() {
      return closed ? 0 : channel.bufferedAmount;
    },
    get bufferedAmountLowThreshold() {
      return channel.bufferedAmountLowThreshold;
    },
    set bufferedAmountLowThreshold(value: number) {
      channel.bufferedAmountLowThreshold = value;
    },
    // Read natively only until the channel is open: each read is a blocking call into
    // wrtc's signaling thread, and the session checks before every CREDIT it sends. During
    // an upload the edge spent as long in those reads as in the sends themselves
    // (docs/PERFORMANCE.md#why-the-held-channel). From open on, only a close changes it,
    // and closing is tracked here.
    get readyState() {
      if (closed) return 'closed';
      if (seenOpen) return 'open';
      const state = channel.readyState;
      seenOpen = state === 'open';
      return state;
    },
    // @roamhq/wrtc's send checks the native channel, copies the message, then reads the
    // channel's native pointer again; a close the peer started can null it on wrtc's
    // signaling thread in between (SIGSEGV, docs/SECURITY.md). That close mostly lands
    // right after one of our blocking calls into that thread returns: the previous send.
    // One more such call here lets it land before this send, which then finds the
    // channel gone and throws. Measured with the abrupt-close trials (test/helpers/abrupt-closes.ts) it cuts crashes by
    // two to eight times (14 against 31 of 200 closes), never to zero: the supervisor
    // (edge/src/supervisor) covers the rest.
    send: (data) => {
      if (closed) throw new DOMException('the connection is closed', 'InvalidStateError');
      if (data.byteLength >= FENCED_SEND_BYTES && channel.readyState !== 'open')
        throw new DOMException('the channel is no longer open', 'InvalidStateError');
      channel.send(data);
    },
    close: () => {
      if (closed) return;
      markClosed();
      channel.close();
    },
    addEventListener(type: string, listener: Listener) {
      if (type === 'message') listeners.add(listener);
      else channel.addEventListener(type as 'open', listener);
    },
    removeEventListener(type: string, listener: Listener) {
      if (type === 'message') listeners.delete(listener);
      else channel.removeEventListener(type, listener);
    },
    settled,
    release() {
      holding = false;
      for (const event of held.splice(0)) for (const listener of [...listeners]) listener(event);
    },
  };
}

/**
 * Calls `onClosed` when the peer connection closes (by its own close() or by its state), and
 * `onSettled` once its close() has returned: that tears every channel down synchronously.
 */
function watchPeerConnectionClose(
  peerConnection: unknown,
  onClosed: () => void,
  onSettled: () => void,
): void {
  const pc = peerConnection as {
    close?: () => void;
    addEventListener?: (type: string, listener: () => void) => void;
    connectionState?: string;
  } | null;
  if (!pc || typeof pc.close !== 'function') return;
  const close = pc.close;
  pc.close = function closeAndMark(this: unknown) {
    onClosed();
    const result = close.call(this);
    onSettled();
    return result;
  };
  pc.addEventListener?.('connectionstatechange', () => {
    if (pc.connectionState === 'closed' || pc.connectionState === 'failed') onClosed();
  });
}

/** Calls `onChannel` with the first DataChannel the peer connection announces, before anyone else sees it. */
export function onRemoteDataChannel(
  peerConnection: unknown,
  onChannel: (channel: DataChannelLike) => void,
): boolean {
  const target = peerConnection as {
    addEventListener?: (
      type: string,
      listener: (event: { channel: DataChannelLike }) => void,
    ) => void;
  } | null;
  if (typeof target?.addEventListener !== 'function') return false;
  target.addEventListener('datachannel', (event) => onChannel(event.channel));
  return true;
}
