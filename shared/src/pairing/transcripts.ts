import type { ChannelBinding } from './binding.js';
import { prefixFreeCat, utf8 } from './bytes.js';

/** CPace's channel identifier: both DTLS fingerprints and both peer ids. */
export function pairingChannelId(binding: ChannelBinding): Uint8Array {
  return prefixFreeCat(
    utf8('peerfetch-pair-v1'),
    utf8(binding.clientFingerprint),
    utf8(binding.edgeFingerprint),
    utf8(binding.clientId),
    utf8(binding.edgeId),
  );
}

/** What each session's proofs cover: both fresh nonces, the binding, and who is proving. */
export function authTranscript(
  role: 'client' | 'edge',
  binding: ChannelBinding,
  clientNonce: Uint8Array,
  edgeNonce: Uint8Array,
): Uint8Array {
  return prefixFreeCat(
    utf8(`peerfetch-auth-v1 ${role}`),
    clientNonce,
    edgeNonce,
    utf8(binding.clientFingerprint),
    utf8(binding.edgeFingerprint),
    utf8(binding.clientId),
    utf8(binding.edgeId),
  );
}
