/**
 * Holds each PeerJS socket to a message rate. PeerServer relays whatever a socket sends, at
 * any rate, and queues messages for absent ids, so one stranger could flood a peer or the
 * server's memory. A socket over its budget is told so and closed: a real client sends an
 * OFFER and a few candidates per connection and a heartbeat every 5 s.
 */
import type { WebSocket } from 'ws';

export interface MessageBudget {
  /** Sustained messages per second. */
  perSecond: number;
  /** Messages a socket may send at once (a connection's offer and candidates). */
  burst: number;
}

/**
 * Counts the socket's messages before any listener sees them; past the budget, `onExceeded`
 * runs once and no further message is delivered.
 */
export function limitMessages(
  socket: Pick<WebSocket, 'emit'>,
  budget: MessageBudget,
  onExceeded: () => void,
  now: () => number = Date.now,
): void {
  let tokens = budget.burst;
  let at = now();
  let exceeded = false;
  const emit = socket.emit.bind(socket);
  socket.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event !== 'message') return emit(event, ...args);
    if (exceeded) return false;
    const t = now();
    tokens = Math.min(budget.burst, tokens + ((t - at) / 1000) * budget.perSecond);
    at = t;
    if (tokens < 1) {
      exceeded = true;
      onExceeded();
      return false;
    }
    tokens--;
    return emit(event, ...args);
  }) as WebSocket['emit'];
}
