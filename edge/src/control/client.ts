/** Calls the running service over its control socket. */
import { connect } from 'node:net';
import type { ControlResponse } from './protocol.js';

/** Nothing answers on the socket: the service is not running (or runs elsewhere). */
export class ServiceNotRunningError extends Error {
  override readonly name = 'PeerFetchServiceNotRunningError';
}

export function callControl(
  path: string,
  command: string,
  args: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ command, args })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(
          new ServiceNotRunningError(`peerfetch-edge is not running (nothing answers on ${path})`),
        );
      } else if (error.code === 'EACCES') {
        reject(new Error(`permission denied on ${path}: run as the service user or root`));
      } else reject(error);
    });
    socket.once('end', () => {
      clearTimeout(timer);
      try {
        const response = JSON.parse(buffer) as ControlResponse;
        if (response.ok) resolve(response.result);
        else reject(new Error(response.error));
      } catch {
        reject(new Error(`unreadable answer on ${path}`));
      }
    });
  });
}
