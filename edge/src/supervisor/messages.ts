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
} as const;
export type ChildMessage = (typeof ChildMessage)[keyof typeof ChildMessage];

export const SERVE_MESSAGE = { type: 'peerfetch-edge:serve' } as const;

/** The type of a message from a serving process, or undefined for anything else. */
export function childMessageType(message: unknown): ChildMessage | undefined {
  const type = (message as { type?: unknown } | null)?.type;
  return type === ChildMessage.Loaded || type === ChildMessage.Ready ? type : undefined;
}

export function isServeMessage(message: unknown): boolean {
  return (message as { type?: unknown } | null)?.type === SERVE_MESSAGE.type;
}
