/**
 * How a request body is framed towards the upstream. The client's body arrives in
 * PeerFetch frames, so its `content-length` is only a claim: the edge checks it, holds the
 * body to it (see body-limit.ts) and frames the upstream request itself. Passing a client's
 * framing headers on as sent would let a body that disagrees with them end early on the
 * upstream's kept-alive socket and start a second, smuggled request there.
 */

/** A request whose framing headers the edge will not pass on; `status` is the answer. */
export class RequestFramingError extends Error {
  override readonly name: string = 'PeerFetchRequestFramingError';
  constructor(
    message: string,
    readonly status: 400 | 417 = 400,
  ) {
    super(message);
  }
}

/** A body that turned out longer or shorter than its declared `content-length`. */
export class BodyLengthError extends RequestFramingError {
  override readonly name = 'PeerFetchBodyLengthError';
  constructor(
    readonly declared: number,
    readonly actual: 'longer' | 'shorter',
  ) {
    super(`the request body is ${actual} than its content-length of ${declared} bytes`);
  }
}

/** One decimal number (RFC 9110 section 8.6): no sign, no list, no other base. */
const DIGITS = /^[0-9]+$/;

/** The only expectation the edge meets; it answers for the upstream, so it drops it. */
const CONTINUE = '100-continue';

/**
 * The body length the client declared, or undefined when it declared none. Throws a
 * RequestFramingError for framing the edge refuses: any `transfer-encoding` (frames carry
 * the body), a `content-length` that is not one decimal number (duplicates arrive joined
 * with commas, so they fail too), a declared body without any body bytes, and expectations
 * other than 100-continue.
 */
export function declaredLength(headers: Headers, hasBody: boolean): number | undefined {
  if (headers.has('transfer-encoding')) {
    throw new RequestFramingError(
      'transfer-encoding is not accepted: PeerFetch frames carry the body',
    );
  }
  const expect = headers.get('expect');
  if (expect !== null && expect.toLowerCase() !== CONTINUE) {
    throw new RequestFramingError(`expectation ${JSON.stringify(expect)} is not supported`, 417);
  }
  const value = headers.get('content-length');
  if (value === null) return undefined;
  if (!DIGITS.test(value)) {
    throw new RequestFramingError(
      `content-length must be a single decimal number, not ${JSON.stringify(value)}`,
    );
  }
  const length = Number(value);
  if (!hasBody && length > 0) throw new BodyLengthError(length, 'shorter');
  return length;
}

/** Framing headers the client may send that the edge never forwards: it sets its own. */
export const CLIENT_FRAMING_HEADERS = ['content-length', 'transfer-encoding', 'expect'] as const;

/**
 * Sets the upstream request's own framing on `headers` (already without the client's): the
 * checked length when known; otherwise chunked, which node:http would not choose by itself
 * for DELETE or OPTIONS, where it would send the body with no framing at all.
 */
export function frameUpstream(
  headers: Headers,
  hasBody: boolean,
  length: number | undefined,
): Headers {
  if (!hasBody) return headers;
  if (length === undefined) headers.set('transfer-encoding', 'chunked');
  else headers.set('content-length', String(length));
  return headers;
}

/** The RequestFramingError anywhere in an error's `cause` chain. */
export function framingErrorOf(error: unknown): RequestFramingError | undefined {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof RequestFramingError) return e;
  }
  return undefined;
}
