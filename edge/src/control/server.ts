/**
 * The control socket: a unix socket in the state directory, mode 0600, so only the
 * service's own user (and root) can talk to the running service.
 */
import { chmod, unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import type { Logger } from '../logger.js';
import {
  type ControlCommand,
  type ControlHandlers,
  type ControlResponse,
  controlArgs,
  isControlCommand,
  MAX_CONTROL_REQUEST_BYTES,
} from './protocol.js';

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

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Checks the arguments against the command's schema, then runs it. */
async function run<C extends ControlCommand>(
  handlers: ControlHandlers,
  command: C,
  args: unknown,
): Promise<ControlResponse<C>> {
  const parsed = controlArgs[command].safeParse(args);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((issue) => issue.message).join('; ') };
  }
  try {
    return { ok: true, result: await handlers[command](parsed.data) };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
}

/** The response to one request line; never throws, whatever the line holds. */
async function answer(handlers: ControlHandlers, line: string): Promise<ControlResponse> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  const { command, args = {} } =
    typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
  if (!isControlCommand(command)) {
    return { ok: false, error: `unknown command ${JSON.stringify(command)}` };
  }
  if (args !== null && (typeof args !== 'object' || Array.isArray(args))) {
    return { ok: false, error: `the arguments of "${command}" must be a JSON object` };
  }
  return run(handlers, command, args ?? {});
}

/** One response line; a result that cannot be written as JSON is reported, not thrown. */
function responseLine(response: ControlResponse): string {
  try {
    return `${JSON.stringify(response)}\n`;
  } catch (error) {
    return `${JSON.stringify({ ok: false, error: `cannot send the answer: ${messageOf(error)}` })}\n`;
  }
}

export async function startControlServer(
  path: string,
  handlers: ControlHandlers,
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
        socket.removeAllListeners('data');
        socket.end(responseLine({ ok: false, error: 'request too large' }));
        return;
      }
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      socket.removeAllListeners('data');
      void answer(handlers, buffer.slice(0, newline)).then((response) =>
        socket.end(responseLine(response)),
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
