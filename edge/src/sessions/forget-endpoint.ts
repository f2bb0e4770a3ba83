/**
 * `DELETE /.well-known/peerfetch/pairing`: an authenticated client asks the edge to forget
 * it (the PWA's "remove device"). Handled before routing, so no route or upstream can
 * shadow it; the session ends shortly after the 204 has been sent.
 */
import {
  FORGET_PAIRING_PATH,
  problemResponse,
  REQUEST_BASE_URL,
  type RequestHandler,
} from '@peerfetch/shared';

/** Time for the 204 to leave before the session is closed (it is a few bytes). */
export const FORGET_CLOSE_DELAY_MS = 500;

const FORGET_URL = REQUEST_BASE_URL + FORGET_PAIRING_PATH;

export interface ForgetOptions {
  clientId: string;
  /** Removes the client's pairing. */
  forget(clientId: string): Promise<void>;
  /** Ends the client's session; called once the answer has had time to leave. */
  endSession(): void;
}

export function withForgetEndpoint(
  handler: RequestHandler,
  options: ForgetOptions,
): RequestHandler {
  return async (request) => {
    // Most requests are not for this path: a prefix test spares them parsing the URL.
    const candidate = request.url.startsWith(FORGET_URL);
    if (!candidate || new URL(request.url).pathname !== FORGET_PAIRING_PATH) {
      return handler(request);
    }
    if (request.method !== 'DELETE') {
      return problemResponse(
        405,
        `${FORGET_PAIRING_PATH} only accepts DELETE`,
        {},
        { allow: 'DELETE' },
      );
    }
    await request.body?.cancel();
    await options.forget(options.clientId);
    setTimeout(options.endSession, FORGET_CLOSE_DELAY_MS).unref();
    return new Response(null, { status: 204 });
  };
}
