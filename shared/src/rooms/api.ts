import { readProblem } from '../problem.js';
import { RoomsApiError } from './errors.js';
import type { IceServersResult, JoinRoomRequest, PeerCredentials, RoomListing } from './types.js';

export interface RoomsApiOptions {
  /** The signaling server's base URL, such as `https://signal.example.org` (a path prefix is kept). */
  baseUrl: string | URL;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Per-call timeout in ms; default 10000. */
  timeoutMs?: number;
}

/** Calls the signaling server's rooms and ICE API. Every non-2xx answer rejects with {@link RoomsApiError}. */
export interface RoomsApi {
  /** Joins the room of the caller's network (moves the caller if it was in another). */
  join(request: JoinRoomRequest, signal?: AbortSignal): Promise<RoomListing>;
  /** Lists the caller's own room. */
  members(credentials: PeerCredentials, signal?: AbortSignal): Promise<RoomListing>;
  /** Leaves the caller's room (also happens when its signaling socket closes). */
  leave(credentials: PeerCredentials, signal?: AbortSignal): Promise<void>;
  /** ICE servers for the caller: STUN, and TURN with short-lived credentials when configured. */
  iceServers(credentials: PeerCredentials, signal?: AbortSignal): Promise<IceServersResult>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createRoomsApi(options: RoomsApiOptions): RoomsApi {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = new URL(options.baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';

  async function call(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string> | undefined,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = new URL(path, base);
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await doFetch(url, {
      method,
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!response.ok) throw await toApiError(method, url, response);
    return response;
  }

  const credentialsQuery = ({ id, token }: PeerCredentials) => ({ id, token });

  return {
    async join(request, signal) {
      const { id, token, role, name } = request;
      const response = await call(
        'POST',
        'rooms/join',
        undefined,
        { id, token, role, name },
        signal,
      );
      return (await response.json()) as RoomListing;
    },
    async members(credentials, signal) {
      const response = await call(
        'GET',
        'rooms/members',
        credentialsQuery(credentials),
        undefined,
        signal,
      );
      return (await response.json()) as RoomListing;
    },
    async leave(credentials, signal) {
      const response = await call(
        'POST',
        'rooms/leave',
        undefined,
        credentialsQuery(credentials),
        signal,
      );
      await response.body?.cancel();
    },
    async iceServers(credentials, signal) {
      const response = await call('GET', 'ice', credentialsQuery(credentials), undefined, signal);
      return (await response.json()) as IceServersResult;
    },
  };
}

/** The API's failure as an error; the message never includes the query (it holds the token). */
async function toApiError(method: string, url: URL, response: Response): Promise<RoomsApiError> {
  const problem = await readProblem(response);
  const detail = typeof problem?.detail === 'string' ? `: ${problem.detail}` : '';
  return new RoomsApiError(
    response.status,
    problem,
    `${method} ${url.pathname} answered ${response.status}${detail}`,
  );
}
