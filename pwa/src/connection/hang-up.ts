import { CHANNEL_CLOSE_WAIT_MS, type Session, whenClosed } from '@peerfetch/shared';
import type { Dialed } from './peer-link';

/**
 * Closes the connection once its channel has closed: after a session ends, one side closes
 * the channel (the side that received GOAWAY or ERROR, PROTOCOL.md §8; our session does
 * it within its grace otherwise). Closing the connection before that would close the
 * channel under the device while it may be sending, which can crash a device whose WebRTC
 * stack is @roamhq/wrtc.
 */
export async function closeWhenChannelClosed(dialed: Dialed): Promise<void> {
  await whenClosed(dialed.channel, CHANNEL_CLOSE_WAIT_MS);
  dialed.close();
}

/** Ends a session we are leaving: says GOAWAY, then closes the connection as above. */
export async function hangUp(session: Session, dialed: Dialed): Promise<void> {
  session.close();
  await closeWhenChannelClosed(dialed);
}
