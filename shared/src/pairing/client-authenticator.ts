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
import { AuthenticationError } from './errors.js';
import { deriveKey, hmacSha256, signWithKey, verifyWithKey } from './keys.js';
import { decodeAuthMessage, encodeAuthMessage, expectMessage } from './messages.js';
import { authTranscript, pairingChannelId } from './transcripts.js';

export interface PairingResult {
  /** The 256-bit pairing key. Store it (non-extractable in browsers) and forget these bytes. */
  key: Uint8Array;
  edgeName: string;
}

export type ClientCredentials =
  /** An earlier pairing's key (HMAC-SHA256 CryptoKey). */
  | { key: CryptoKey }
  /** The one-time code the edge shows, to pair now. */
  | { pairingCode: string; onPaired(result: PairingResult): Promise<void> | void };

export interface ClientAuthOptions {
  binding: ChannelBinding;
  /** How this client is listed on the edge. */
  clientName: string;
  credentials: ClientCredentials;
  /** Told the edge's name once it has proven itself. */
  onVerified?(edgeName: string): void;
}

/** The client's half of PROTOCOL.md §5: pair with a code, or prove an earlier pairing. */
export function clientAuthenticator(options: ClientAuthOptions): Authenticator {
  return async (channel) => {
    const receive = async () => decodeAuthMessage(await channel.receive());
    const edgeName =
      'key' in options.credentials
        ? await authenticate(channel, receive, options.binding, options.credentials.key)
        : await pair(channel, receive, options, options.credentials);
    options.onVerified?.(edgeName);
  };
}

type Receive = () => Promise<ReturnType<typeof decodeAuthMessage>>;

async function authenticate(
  channel: AuthChannel,
  receive: Receive,
  binding: ChannelBinding,
  key: CryptoKey,
): Promise<string> {
  const clientNonce = randomBytes(32);
  channel.send(encodeAuthMessage({ t: 'auth', nonce: clientNonce }));
  const challenge = expectMessage(await receive(), 'auth-challenge');
  const edgeProven = await verifyWithKey(
    key,
    challenge.proof,
    authTranscript('edge', binding, clientNonce, challenge.nonce),
  );
  if (!edgeProven) {
    throw new AuthenticationError(
      'device-not-verified',
      'this device could not be verified: it does not hold the pairing key',
    );
  }
  const proof = await signWithKey(
    key,
    authTranscript('client', binding, clientNonce, challenge.nonce),
  );
  channel.send(encodeAuthMessage({ t: 'auth-proof', proof }));
  return expectMessage(await receive(), 'ok').edgeName;
}

async function pair(
  channel: AuthChannel,
  receive: Receive,
  options: ClientAuthOptions,
  credentials: { pairingCode: string; onPaired(result: PairingResult): Promise<void> | void },
): Promise<string> {
  const { binding } = options;
  const sid = randomBytes(16);
  const generator = calculateGenerator(
    utf8(credentials.pairingCode),
    pairingChannelId(binding),
    sid,
  );
  const secret = sampleScalar();
  const msgA = cpaceMessage(scalarMult(secret, generator), utf8(binding.clientId));
  channel.send(encodeAuthMessage({ t: 'pair', clientName: options.clientName, sid, msg: msgA }));

  const reply = expectMessage(await receive(), 'pair-reply');
  const parsed = parseCpaceMessage(reply.msg);
  const k = parsed && scalarMultVerify(secret, parsed.share);
  if (!parsed || !k)
    throw new AuthenticationError('failed', 'the device sent an invalid pairing share');
  const isk = intermediateSessionKey(sid, k, msgA, reply.msg);
  const transcript = concatBytes(msgA, reply.msg);
  if (!equalBytes(reply.confirm, hmacSha256(deriveKey(isk, 'pairing confirm edge'), transcript))) {
    channel.send(encodeAuthMessage({ t: 'refused', reason: 'wrong-code' }));
    throw new AuthenticationError(
      'wrong-code',
      'the pairing code was wrong, or the connection is not direct',
    );
  }
  channel.send(
    encodeAuthMessage({
      t: 'pair-confirm',
      confirm: hmacSha256(deriveKey(isk, 'pairing confirm client'), transcript),
    }),
  );
  const done = expectMessage(await receive(), 'ok');
  await credentials.onPaired({ key: deriveKey(isk, 'pairing key'), edgeName: reply.edgeName });
  return done.edgeName;
}
