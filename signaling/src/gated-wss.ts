/**
 * A WebSocketServer that asks a gate before announcing a connection. PeerServer listens for
 * `connection` on the server it is given; a socket the gate refuses is never announced, so
 * PeerServer neither registers it nor sees it at all. A gate may answer later (a promise,
 * when the answer is in Redis): the socket is paused meanwhile, so nothing it sends is lost.
 */
import type { IncomingMessage } from 'node:http';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';

/** True lets the connection through; false means the gate has dealt with the socket. */
export type ConnectionGate = (
  socket: WebSocket,
  req: IncomingMessage,
) => boolean | Promise<boolean>;

export class GatedWebSocketServer extends WebSocketServer {
  private readonly gate: ConnectionGate;

  constructor(options: ServerOptions, gate: ConnectionGate) {
    super(options);
    this.gate = gate;
  }

  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own signature.
  override emit(event: string | symbol, ...args: any[]): boolean {
    if (event !== 'connection') return super.emit(event, ...args);
    const [socket, req] = args as [WebSocket, IncomingMessage];
    const verdict = this.gate(socket, req);
    if (verdict === true) return super.emit(event, ...args);
    if (verdict === false) return false;
    socket.pause();
    verdict.then(
      (admitted) => {
        if (admitted && socket.readyState === socket.OPEN) super.emit(event, ...args);
        socket.resume();
      },
      () => socket.close(1011, 'server error'),
    );
    return true;
  }
}
