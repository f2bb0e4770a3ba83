/**
 * What the supervisor and its serving processes say over the IPC channel. A process starts
 * as a standby: it loads its code and the native WebRTC module, says LOADED, and waits.
 * Told to SERVE, it starts the edge and says READY once it serves. Loading is most of a
 * start, so a standby that is already loaded takes over from a crashed process in a
 * fraction of the time (supervisor.ts).
 */
export const ChildMessage = {
  Loaded: 'peerfetch-edge:loaded',
  Ready: 'peerfetch-edge:ready',
  /** The clients the process has sessions with (`ids`), whenever that set changes. */
  Clients: 'peerfetch-edge:clients',
} as const;
export type ChildMessage = (typeof ChildMessage)[keyof typeof ChildMessage];

const SERVE = 'peerfetch-edge:serve';

/**
 * Tells a standby to serve. `orphans` are the clients whose sessions died with the process
 * it replaces: their phones would notice only at their ping timeout, so the new process tells
 * them at once (through the signaling server) to drop those connections and reconnect.
 */
export function serveMessage(orphans: readonly string[] = []) {
  return { type: SERVE, orphans: [...orphans] };
}

const isIdList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((id) => typeof id === 'string');

/** A message from a serving process, or undefined for anything else. */
export function childMessage(
  message: unknown,
):
  | { type: 'peerfetch-edge:loaded' | 'peerfetch-edge:ready' }
  | { type: 'peerfetch-edge:clients'; ids: string[] }
  | undefined {
  const { type, ids } = (message ?? {}) as { type?: unknown; ids?: unknown };
  if (type === ChildMessage.Loaded || type === ChildMessage.Ready) return { type };
  if (type === ChildMessage.Clients && isIdList(ids)) return { type, ids };
  return undefined;
}

/** The orphans of a serve message, or undefined when `message` is not one. */
export function orphansOfServe(message: unknown): string[] | undefined {
  const { type, orphans } = (message ?? {}) as { type?: unknown; orphans?: unknown };
  if (type !== SERVE) return undefined;
  return isIdList(orphans) ? orphans : [];
}
