import { describe, expect, it } from 'vitest';
import { Ticket, type TicketContext } from './ticket.js';

function context(): TicketContext & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    role: 'server',
    window: 1024,
    peerWindow: 1024,
    maxFrameSize: 16 * 1024,
    headCoalesceMs: 0,
    sendControl: (frame) => sent.push(frame),
    schedule: () => {},
    release: () => {},
  };
}

describe('a ticket signal', () => {
  it('is aborted with the reason even when first asked for after the cancel', () => {
    const ticket = new Ticket(1, context());
    const reason = new Error('gone');
    ticket.cancel(reason);
    expect(ticket.signal.aborted).toBe(true);
    expect(ticket.signal.reason).toBe(reason);
  });

  it('aborts a signal handed out earlier, once', () => {
    const ticket = new Ticket(1, context());
    const { signal } = ticket;
    let aborts = 0;
    signal.addEventListener('abort', () => aborts++);
    ticket.fail(new Error('session ended'));
    ticket.cancel(new Error('later'));
    expect([signal.aborted, (signal.reason as Error).message, aborts]).toEqual([
      true,
      'session ended',
      1,
    ]);
    expect(ticket.signal).toBe(signal);
  });
});
