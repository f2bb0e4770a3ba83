import { jsonResponse } from './buffered-response.js';

/**
 * RFC 9457 problem details: every failure PeerFetch answers carries one of these bodies.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  /** A URI reference naming the kind of problem; `about:blank` when the status says it all. */
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** Extension members, such as `retryAfter`. */
  [extension: string]: unknown;
}

/** Standard reason phrases for the statuses PeerFetch itself produces. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  507: 'Insufficient Storage',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** The body of a problem: the title follows from the status. */
export function problemBody(
  status: number,
  detail: string,
  extra: Omit<Partial<Problem>, 'status'> = {},
): Problem {
  return { type: 'about:blank', title: statusTitle(status), status, detail, ...extra };
}

/** Builds a problem+json Response; `headers` are added to the content type. */
export function problemResponse(
  status: number,
  detail: string,
  extra: Omit<Partial<Problem>, 'status'> = {},
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(problemBody(status, detail, extra), {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

/**
 * The problem in a failed response's body, when it has one (problem+json, or plain JSON
 * with a `detail` or `title`); otherwise the body is cancelled and the answer is undefined.
 */
export async function readProblem(response: Response): Promise<Problem | undefined> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith(PROBLEM_CONTENT_TYPE) && !type.startsWith('application/json')) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) return undefined;
    const { detail, title } = body as Partial<Problem>;
    if (typeof detail !== 'string' && typeof title !== 'string') return undefined;
    return { status: response.status, ...(body as Partial<Problem>) } as Problem;
  } catch {
    return undefined;
  }
}
