import type { AuthChannel, Authenticator } from '../session/auth.js';
import type { ChannelBinding } from './binding.js';
import { concatBytes, equalBytes, randomBytes, utf8 } from './bytes.js';
import {
  calculateGenerator,
  cpaceMessage,
  intermediateSessionKey,
  parseCpaceMessage,
  sampleScalar,
  scalarMult,
  scalarMultVerify,
} from './cpace.js';
import { AuthenticationError, type AuthFailureReason } from './errors.js';
import { deriveKey, hmacSha256, signWithKey, verifyWithKey } from './keys.js';
import { type AuthMessage, decodeAuthMessage, encodeAuthMessage, refusalText } from './messages.js';
import { authTranscript, pairingChannelId } from './transcripts.js';

/** The edge's pairing state, owned by the edge (window timing, attempt counting, storage). */
export interface PairingWindow {
  /**
   * Starts one attempt of a well-formed pairing request and counts it, before any answer is
   * known, so parallel sessions cannot guess more often than the limit allows. Returns the
   * code while the window is open and attempts remain, else undefined. May throw an
   * AuthenticationError to refuse this client with its reason (too many attempts, say).
   */
  beginAttempt(clientId: string): string | undefined | Promise<string | undefined>;
  /** A client proved the code: store it and its key (the window then closes). */
  complete(client: { id: string; name: string; key: Uint8Array }): Promise<void>;
}

export interface EdgeAuthOptions {
  binding: ChannelBinding;
  /** How this edge is named to clients. */
  edgeName: string;
  /** The stored pairing key of a client, if it is paired. */
  findClientKey(clientId: string): Promise<CryptoKey | undefined>;
  pairing: PairingWindow;
  /** Told once a client has proven itself (for last-seen times and logs). */
  onAuthenticated?(clientId: string, how: 'paired' | 'key'): void;
}

/**
 * The edge's half of PROTOCOL.md §5. Until it resolves, the session serves nothing. Every
 * refusal is told to the client (so its user learns what to do) before the session closes.
 */
export function edgeAuthenticator(options: EdgeAuthOptions): Authenticator {
  return async (channel) => {
    const first = await receive(channel);
    if (first.t === 'pair') return pair(channel, options, first);
    if (first.t === 'auth') return authenticate(channel, options, first);
    refuse(channel, 'failed', `expected pair or auth, got ${first.t}`);
  };
}

async function authenticate(
  channel: AuthChannel,
  options: EdgeAuthOptions,
  hello: Extract<AuthMessage, { t: 'auth' }>,
) {
  const { binding } = options;
  const key = await options.findClientKey(binding.clientId);
  if (!key) refuse(channel, 'not-paired', `client ${binding.clientId} is not paired`);
  const edgeNonce = randomBytes(32);
  const proof = await signWithKey(key, authTranscript('edge', binding, hello.nonce, edgeNonce));
  channel.send(encodeAuthMessage({ t: 'auth-challenge', nonce: edgeNonce, proof }));
  const answer = await receive(channel);
  if (answer.t !== 'auth-proof') refuse(channel, 'failed', `expected auth-proof, got ${answer.t}`);
  const proven = await verifyWithKey(
    key,
    answer.proof,
    authTranscript('client', binding, hello.nonce, edgeNonce),
  );
  if (!proven)
    refuse(channel, 'not-paired', `client ${binding.clientId} failed to prove its pairing key`);
  channel.send(encodeAuthMessage({ t: 'ok', edgeName: options.edgeName }));
  options.onAuthenticated?.(binding.clientId, 'key');
}

/** The length of the client's CPace session id (PROTOCOL.md §5). */
const PAIRING_SID_BYTES = 16;

async function pair(
  channel: AuthChannel,
  options: EdgeAuthOptions,
  request: Extract<AuthMessage, { t: 'pair' }>,
) {
  const { binding, pairing } = options;
  // Everything that can be checked without the code is checked first: junk is refused
  // without costing the window an attempt.
  const parsed = parseCpaceMessage(request.msg);
  if (!parsed || request.sid.byteLength !== PAIRING_SID_BYTES)
    refuse(channel, 'failed', 'malformed pairing request');
  const secret = sampleScalar();
  const k = scalarMultVerify(secret, parsed.share);
  if (!k) refuse(channel, 'failed', 'invalid pairing share');

  const code = await startAttempt(channel, pairing, binding.clientId);
  const generator = calculateGenerator(utf8(code), pairingChannelId(binding), request.sid);
  const msgB = cpaceMessage(scalarMult(secret, generator), utf8(binding.edgeId));
  const isk = intermediateSessionKey(request.sid, k, request.msg, msgB);
  const transcript = concatBytes(request.msg, msgB);
  const confirm = hmacSha256(deriveKey(isk, 'pairing confirm edge'), transcript);
  channel.send(
    encodeAuthMessage({ t: 'pair-reply', edgeName: options.edgeName, msg: msgB, confirm }),
  );

  const answer = await receive(channel);
  const expected = hmacSha256(deriveKey(isk, 'pairing confirm client'), transcript);
  if (answer.t !== 'pair-confirm' || !equalBytes(answer.confirm, expected)) {
    refuse(channel, 'wrong-code', `wrong pairing code from ${binding.clientId}`);
  }
  const client = {
    id: binding.clientId,
    name: request.clientName,
    key: deriveKey(isk, 'pairing key'),
  };
  try {
    await pairing.complete(client);
  } catch (error) {
    // The edge keeps the reason (a full disk, say) in its logs; the client hears "failed".
    refuse(channel, 'failed', 'the pairing could not be stored', error);
  }
  channel.send(encodeAuthMessage({ t: 'ok', edgeName: options.edgeName }));
  options.onAuthenticated?.(binding.clientId, 'paired');
}

/** The window's code for this attempt; refuses the client when there is none. */
async function startAttempt(
  channel: AuthChannel,
  pairing: PairingWindow,
  clientId: string,
): Promise<string> {
  let code: string | undefined;
  try {
    code = await pairing.beginAttempt(clientId);
  } catch (error) {
    const reason = error instanceof AuthenticationError ? error.reason : 'failed';
    refuse(channel, reason, 'the pairing window refused the attempt', error);
  }
  if (code === undefined) refuse(channel, 'pairing-closed', 'pairing is closed');
  return code;
}

/** The client's next message; one that is not a valid AUTH message is refused. */
async function receive(channel: AuthChannel): Promise<AuthMessage> {
  const bytes = await channel.receive();
  try {
    return decodeAuthMessage(bytes);
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    refuse(channel, 'failed', error.message);
  }
}

/**
 * Tells the client why (a reason from a fixed list, never our detail), then fails the
 * handshake with the detail and its cause for the edge's own log.
 */
function refuse(
  channel: AuthChannel,
  reason: AuthFailureReason,
  detail: string,
  cause?: unknown,
): never {
  try {
    channel.send(encodeAuthMessage({ t: 'refused', reason }));
  } catch {
    // The session is already closing; the failure below still ends it.
  }
  const because = cause instanceof Error ? `: ${cause.message}` : '';
  throw new AuthenticationError(
    reason,
    `${refusalText(reason)} (${detail}${because})`,
    cause === undefined ? undefined : { cause },
  );
}
