export { type ChannelBinding, channelBinding, sdpFingerprint } from './binding.js';
export {
  type ClientAuthOptions,
  type ClientCredentials,
  clientAuthenticator,
  type PairingResult,
} from './client-authenticator.js';
export {
  type EdgeAuthOptions,
  edgeAuthenticator,
  type PairingWindow,
} from './edge-authenticator.js';
export { AuthenticationError, type AuthFailureReason } from './errors.js';
export { importPairingKey, PAIRING_KEY_BYTES } from './keys.js';
// For tests that play a client by hand (a stranger sending malformed pairing requests).
export { type AuthMessage, decodeAuthMessage, encodeAuthMessage } from './messages.js';
