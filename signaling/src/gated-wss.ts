/**
 * A WebSocketServer that asks a gate before announcing a connection. PeerServer listens for
 * `connection` on the server it is given; a socket the gate refuses is never announced, so
 * PeerServer neither registers it nor sees it at all.
 */
import type { IncomingMessage } from 'node:http';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';

/** True lets the connection through; false means the gate has dealt with the socket. */
export type ConnectionGate = (socket: WebSocket, req: IncomingMessage) => boolean;

export class GatedWebSocketServer extends WebSocketServer {
  private readonly gate: ConnectionGate;

  constructor(options: ServerOptions, gate: ConnectionGate) {
    super(options);
    this.gate = gate;
  }

  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own signature.
  override emit(event: string | symbol, ...args: any[]): boolean {
    if (event === 'connection' && !this.gate(args[0], args[1])) return false;
    return super.emit(event, ...args);
  }
}
