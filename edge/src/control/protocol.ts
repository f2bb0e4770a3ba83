/**
 * The local control socket's protocol: one JSON request line, one JSON response line.
 * Commands: `status`, `pair`, `clients`, `unpair` (see main.ts).
 */
export const CONTROL_SOCKET_NAME = 'control.sock';

export interface ControlRequest {
  command: string;
  args?: Record<string, unknown>;
}

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: string };

/** Largest request line accepted, in bytes: commands are tiny. */
export const MAX_CONTROL_REQUEST_BYTES = 16 * 1024;
