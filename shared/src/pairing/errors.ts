/** Why a pairing or a session authentication did not succeed. */
export type AuthFailureReason =
  /** The edge has no pairing with this client (never paired, or unpaired since). */
  | 'not-paired'
  /** The code did not match (or someone sits between the two sides). */
  | 'wrong-code'
  /** The edge is not accepting new pairings right now. */
  | 'pairing-closed'
  /** The edge could not prove it holds the pairing key: not the device we paired with. */
  | 'device-not-verified'
  /** The peer broke the exchange. */
  | 'failed';

export class AuthenticationError extends Error {
  override readonly name = 'PeerFetchAuthenticationError';
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
