import { DEFAULT_CLOSE_GRACE_MS, type Session, whenClosed } from '@peerfetch/shared';
import type { Dialed } from './peer-link';

/**
 * Ends a session we are leaving: says GOAWAY, lets the device close the channel (the side
 * that receives GOAWAY closes it, PROTOCOL.md §8), then closes the peer connection.
 * Closing the connection at once would close the channel under the device while it may be
 * sending, which can crash a device whose WebRTC stack is @roamhq/wrtc.
 */
export async function hangUp(session: Session, dialed: Dialed): Promise<void> {
  session.close();
  await whenClosed(dialed.channel, DEFAULT_CLOSE_GRACE_MS);
  dialed.close();
}
