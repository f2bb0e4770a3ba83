/** Where the bytes of an outgoing message body come from. */
export type BodySource =
  | { kind: 'none' }
  /** Bytes already in memory: a small message goes out as one frame without waiting. */
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A stream, read as the peer grants credit; `length` when known (Content-Length, Blob size). */
  | { kind: 'stream'; stream: ReadableStream<Uint8Array>; length?: number };

export const NO_BODY: BodySource = { kind: 'none' };
