import type { Problem } from '../problem.js';

/** The rooms API answered with a non-2xx status. `problem` is its problem+json body, if any. */
export class RoomsApiError extends Error {
  override readonly name = 'PeerFetchRoomsApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message);
  }
}
