/**
 * The local control socket's protocol: one JSON request line `{ command, args }`, one JSON
 * response line `{ ok: true, result }` or `{ ok: false, error }`. {@link ControlCommands} is
 * the one list of commands, their arguments and their results; the server (main.ts) and the
 * CLI (cli/edge.ts, cli/pairing-commands.ts) are both typed by it.
 */
import { z } from 'zod';
import type { EdgeStatus } from '../main.js';
import type { PairedClientInfo } from '../pairing/paired-clients.js';
import type { PairingInfo } from '../pairing/pairing-service.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

/** Arguments of a command that takes none. */
export type NoArgs = Record<string, never>;

/** Every command of the control socket: what it takes and what it answers. */
export interface ControlCommands {
  /** `peerfetch-edge status`. */
  status: { request: NoArgs; result: EdgeStatus };
  /** `peerfetch-edge pair`: opens the pairing window (or shows the open one). */
  pair: { request: NoArgs; result: PairingInfo };
  /** `peerfetch-edge clients`. */
  clients: { request: NoArgs; result: PairedClientInfo[] };
  /** `peerfetch-edge unpair <client>`: by id or name; answers the client removed. */
  unpair: { request: { client: string }; result: PairedClientInfo };
}

export type ControlCommand = keyof ControlCommands;
export type ControlArgs<C extends ControlCommand> = ControlCommands[C]['request'];
export type ControlResult<C extends ControlCommand> = ControlCommands[C]['result'];

/** What the service does for each command (main.ts wires them). */
export type ControlHandlers = {
  [C in ControlCommand]: (args: ControlArgs<C>) => Promise<ControlResult<C>>;
};

const noArgs = z.strictObject({});

/** How the server checks each command's arguments; the compiler keeps it in step with the map. */
export const controlArgs: { [C in ControlCommand]: z.ZodType<ControlArgs<C>> } = {
  status: noArgs,
  pair: noArgs,
  clients: noArgs,
  unpair: z.strictObject({ client: z.string({ error: 'name a client' }).min(1, 'name a client') }),
};

export function isControlCommand(name: unknown): name is ControlCommand {
  return typeof name === 'string' && Object.hasOwn(controlArgs, name);
}

export interface ControlRequest<C extends ControlCommand = ControlCommand> {
  command: C;
  args?: ControlArgs<C>;
}

export type ControlResponse<C extends ControlCommand = ControlCommand> =
  | { ok: true; result: ControlResult<C> }
  | { ok: false; error: string };

/** Largest request line accepted, in bytes: commands are tiny. */
export const MAX_CONTROL_REQUEST_BYTES = 16 * 1024;
