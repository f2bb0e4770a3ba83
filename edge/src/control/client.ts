/** Calls the running service over its control socket. */
import { connect } from 'node:net';
import type {
  ControlArgs,
  ControlCommand,
  ControlRequest,
  ControlResponse,
  ControlResult,
} from './protocol.js';

/** Nothing answers on the socket: the service is not running (or runs elsewhere). */
export class ServiceNotRunningError extends Error {
  override readonly name = 'PeerFetchServiceNotRunningError';
}

/** Runs one command of the service at a given socket (see {@link callControl}). */
export type ControlCall = <C extends ControlCommand>(
  command: C,
  args: ControlArgs<C>,
) => Promise<ControlResult<C>>;

/** Runs `command` on the service listening at `path` and resolves with its result. */
export function callControl<C extends ControlCommand>(
  path: string,
  command: C,
  args: ControlArgs<C>,
  timeoutMs = 5000,
): Promise<ControlResult<C>> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    const request: ControlRequest<C> = { command, args };
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
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
        // The service answering is this same build, typed by the same ControlCommands.
        const response = JSON.parse(buffer) as ControlResponse<C>;
        if (response.ok) resolve(response.result);
        else reject(new Error(response.error));
      } catch {
        reject(new Error(`unreadable answer on ${path}`));
      }
    });
  });
}
