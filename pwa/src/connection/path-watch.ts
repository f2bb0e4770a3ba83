/**
 * Notices quickly that a connection's network path is gone (the phone left Wi-Fi for
 * cellular, or the other way). PeerJS has no ICE restart, and the session's pings would
 * take their whole dead interval to notice; ICE says so within seconds. `failed` is final;
 * `disconnected` is lost unless ICE comes back within the grace (a short outage heals).
 */

/** How long an ICE `disconnected` may last before the path counts as lost, ms. */
export const ICE_DISCONNECTED_GRACE_MS = 2_000;

interface IceStateSource {
  readonly iceConnectionState: RTCIceConnectionState;
  addEventListener(type: 'iceconnectionstatechange', listener: () => void): void;
  removeEventListener(type: 'iceconnectionstatechange', listener: () => void): void;
}

/** Calls `onLost` once when the path is lost; returns a function that stops watching. */
export function watchPath(
  pc: IceStateSource,
  onLost: (why: string) => void,
  graceMs = ICE_DISCONNECTED_GRACE_MS,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    clearTimeout(timer);
    pc.removeEventListener('iceconnectionstatechange', check);
  };
  const lost = (why: string) => {
    stop();
    onLost(why);
  };
  function check() {
    const state = pc.iceConnectionState;
    if (state === 'failed') lost('The network path to the device failed.');
    else if (state === 'disconnected') {
      timer ??= setTimeout(
        () => lost('The network path to the device was lost (did the network change?).'),
        graceMs,
      );
    } else {
      clearTimeout(timer);
      timer = undefined;
    }
  }
  pc.addEventListener('iceconnectionstatechange', check);
  check();
  return stop;
}
