import { createPeerFetch, type PeerFetch, type PeerFetchOptions } from '../client/peer-fetch.js';
import { type RequestHandler, type ServeOptions, serveRequests } from '../server/serve-requests.js';
import type { SessionOptions } from '../session/options.js';
import { openSession, type PeerFetchSession } from '../session/session.js';
import {
  createMemoryChannelPair,
  type MemoryChannel,
  type MemoryChannelOptions,
} from './memory-channel.js';

export interface InMemoryConnection {
  client: PeerFetch;
  clientSession: PeerFetchSession;
  serverSession: PeerFetchSession;
  clientChannel: MemoryChannel;
  serverChannel: MemoryChannel;
  /** Each side's end of the lane pair, when `lane` asked for one (undefined on a side without). */
  clientLane: MemoryChannel | undefined;
  serverLane: MemoryChannel | undefined;
  /** Closes both sessions and waits for them to finish. */
  close(): Promise<void>;
}

export interface InMemoryOptions {
  channel?: MemoryChannelOptions;
  client?: Partial<SessionOptions>;
  server?: Partial<SessionOptions>;
  serve?: ServeOptions;
  fetch?: PeerFetchOptions;
  /**
   * Give the sessions a lane (PROTOCOL.md §1.1), on both sides or only where set true. The
   * lane has the main channel's link options. Default: none.
   */
  lane?: boolean | { client: boolean; server: boolean };
}

/** A client and a server session joined by an in-memory channel, serving `handler`. */
export function connectInMemory(
  handler: RequestHandler,
  options: InMemoryOptions = {},
): InMemoryConnection {
  const [clientChannel, serverChannel] = createMemoryChannelPair(options.channel);
  const maxMessageSize = clientChannel.maxMessageSize;
  const lanes = options.lane ? createMemoryChannelPair(options.channel) : undefined;
  const sides = typeof options.lane === 'object' ? options.lane : { client: true, server: true };
  const clientLane = sides.client ? lanes?.[0] : undefined;
  const serverLane = sides.server ? lanes?.[1] : undefined;
  const serverSession = openSession(serverChannel, {
    maxMessageSize,
    lane: serverLane,
    ...options.server,
    role: 'server',
  });
  serveRequests(serverSession, handler, options.serve);
  const clientSession = openSession(clientChannel, {
    maxMessageSize,
    lane: clientLane,
    ...options.client,
    role: 'client',
  });
  return {
    client: createPeerFetch(clientSession, options.fetch),
    clientSession,
    serverSession,
    clientChannel,
    serverChannel,
    clientLane,
    serverLane,
    async close() {
      clientSession.close();
      serverSession.close();
      await Promise.all([clientSession.closed, serverSession.closed]);
    },
  };
}
