/**
 * The control socket: a unix socket in the state directory, mode 0600, so only the
 * service's own user (and root) can talk to the running service.
 */
import { chmod, unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import type { Logger } from '../logger.js';
import {
  type ControlRequest,
  type ControlResponse,
  MAX_CONTROL_REQUEST_BYTES,
} from './protocol.js';

export type ControlCommand = (args: Record<string, unknown>) => Promise<unknown>;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Another process already answers on this socket path. */
export class ControlSocketInUseError extends Error {
  override readonly name = 'PeerFetchControlSocketInUseError';
}

function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function answer(
  commands: Record<string, ControlCommand>,
  line: string,
): Promise<ControlResponse> {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  const command = typeof request?.command === 'string' ? commands[request.command] : undefined;
  if (!command || !Object.hasOwn(commands, request.command)) {
    return { ok: false, error: `unknown command ${JSON.stringify(request?.command)}` };
  }
  try {
    return { ok: true, result: await command(request.args ?? {}) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export async function startControlServer(
  path: string,
  commands: Record<string, ControlCommand>,
  logger: Logger,
): Promise<ControlServer> {
  if (await isAlive(path)) {
    throw new ControlSocketInUseError(
      `another peerfetch-edge is already running with this state directory (${path} answers)`,
    );
  }
  await unlink(path).catch(() => {}); // a stale socket from a process that died
  const server: Server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_CONTROL_REQUEST_BYTES) {
        socket.end(`${JSON.stringify({ ok: false, error: 'request too large' })}\n`);
        return;
      }
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      socket.removeAllListeners('data');
      void answer(commands, buffer.slice(0, newline)).then((response) =>
        socket.end(`${JSON.stringify(response)}\n`),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  logger.debug({ path }, 'control socket listening');
  return {
    path,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
      }),
  };
}
