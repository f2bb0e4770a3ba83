/**
 * The shapes of PeerJS server messages the edge acts on. Everything relayed by the signaling
 * server is input from strangers (anyone in the room can address the edge) or from a server
 * that may be hostile, and PeerJS trusts it blindly: a `null` payload or an unknown
 * serialization throws inside its message handler and ends the process. So each message is
 * parsed here first, and only these shapes ever reach PeerJS.
 */
import { z } from 'zod';

/** PeerJS ids: alphanumeric words joined by `_`, `-` or space (PeerJS's own validateId). */
const peerId = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/);

/** PeerJS makes `dc_` plus a random token; anything id-like and short is accepted. */
const connectionId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

/**
 * A data-channel-only offer is about 1 KB (candidates trickle separately); 16 KiB leaves room
 * for many codecs' worth of lines without letting a stranger hand libwebrtc megabytes.
 */
export const MAX_SDP_BYTES = 16 * 1024;
/** A candidate line is under 200 bytes; this bounds what one CANDIDATE may carry. */
const MAX_CANDIDATE_BYTES = 1024;

const sessionDescription = (type: 'offer') =>
  z.object({ type: z.literal(type), sdp: z.string().min(1).max(MAX_SDP_BYTES) });

/** What the edge accepts: reliable, raw data connections (session-manager.ts says why). */
const dataOffer = z.object({
  type: z.literal('data'),
  connectionId,
  sdp: sessionDescription('offer'),
  serialization: z.literal('raw'),
  reliable: z.literal(true),
  label: z.string().max(128).optional(),
  metadata: z.unknown().optional(),
});

/** A well-formed data offer of any kind, to tell "not supported" from "malformed". */
const anyDataOffer = dataOffer.extend({
  serialization: z.string().max(32),
  reliable: z.boolean().optional(),
});

const candidate = z.object({
  connectionId,
  candidate: z.object({
    candidate: z.string().max(MAX_CANDIDATE_BYTES),
    sdpMid: z.string().max(32).nullable().optional(),
    sdpMLineIndex: z.int().min(0).max(64).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  }),
});

export const relayedMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('OFFER'), src: peerId, payload: dataOffer }),
  z.object({ type: z.literal('CANDIDATE'), src: peerId, payload: candidate }),
  z.object({ type: z.literal('LEAVE'), src: peerId }),
  z.object({ type: z.literal('EXPIRE'), src: peerId }),
]);

/** Messages the server itself sends about our registration. */
export const serverMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('OPEN') }),
  z.object({ type: z.literal('HEARTBEAT') }),
  z.object({ type: z.literal('ID-TAKEN') }),
  z.object({ type: z.literal('INVALID-KEY') }),
  z.object({ type: z.literal('ERROR'), payload: z.object({ msg: z.string().max(1024) }) }),
]);

export type RelayedMessage = z.infer<typeof relayedMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;

/** What the signaling socket hands on in place of a message too large to parse (index.ts). */
export const OVERSIZE_TYPE = 'PEERFETCH-OVERSIZE';

/** Why a message was dropped; each is counted separately in the edge's status. */
export type DropReason =
  | 'oversize'
  | 'malformed'
  | 'media-call'
  | 'unsupported-connection'
  | 'answer-unsolicited'
  | 'candidate-unknown-connection'
  | 'candidate-flood'
  | 'offer-duplicate'
  | 'offer-rate'
  | 'pending-limit';

export type Classified =
  | { kind: 'server'; message: ServerMessage }
  | { kind: 'relayed'; message: RelayedMessage }
  | { kind: 'drop'; reason: DropReason };

/** Sorts a message into something PeerJS may see, or a reason to drop it. */
export function classifySignalingMessage(message: unknown): Classified {
  const type = (message as { type?: unknown } | null)?.type;
  const server = serverMessage.safeParse(message);
  if (server.success) return { kind: 'server', message: server.data };
  const relayed = relayedMessage.safeParse(message);
  if (relayed.success) return { kind: 'relayed', message: relayed.data };
  if (type === OVERSIZE_TYPE) return { kind: 'drop', reason: 'oversize' };
  if (type === 'ANSWER') return { kind: 'drop', reason: 'answer-unsolicited' };
  if (type === 'OFFER') {
    const payloadType = (message as { payload?: { type?: unknown } }).payload?.type;
    if (payloadType === 'media') return { kind: 'drop', reason: 'media-call' };
    const shape = z.object({ src: peerId, payload: anyDataOffer }).safeParse(message);
    // A well-addressed data offer that is not reliable and raw: refused, not malformed.
    if (shape.success) return { kind: 'drop', reason: 'unsupported-connection' };
  }
  return { kind: 'drop', reason: 'malformed' };
}
