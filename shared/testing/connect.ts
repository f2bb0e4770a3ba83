import {
  createPeerFetch,
  openSession,
  type PeerFetch,
  type PeerFetchOptions,
  type PeerFetchSession,
  type RequestHandler,
  type ServeOptions,
  type SessionOptions,
  serveRequests,
} from '@peerfetch/shared';
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
  /** Closes both sessions and waits for them to finish. */
  close(): Promise<void>;
}

export interface InMemoryOptions {
  channel?: MemoryChannelOptions;
  client?: Partial<SessionOptions>;
  server?: Partial<SessionOptions>;
  serve?: ServeOptions;
  fetch?: PeerFetchOptions;
}

/** A client and a server session joined by an in-memory channel, serving `handler`. */
export function connectInMemory(
  handler: RequestHandler,
  options: InMemoryOptions = {},
): InMemoryConnection {
  const [clientChannel, serverChannel] = createMemoryChannelPair(options.channel);
  const maxMessageSize = clientChannel.maxMessageSize;
  const serverSession = openSession(serverChannel, {
    maxMessageSize,
    ...options.server,
    role: 'server',
  });
  serveRequests(serverSession, handler, options.serve);
  const clientSession = openSession(clientChannel, {
    maxMessageSize,
    ...options.client,
    role: 'client',
  });
  return {
    client: createPeerFetch(clientSession, options.fetch),
    clientSession,
    serverSession,
    clientChannel,
    serverChannel,
    async close() {
      clientSession.close();
      serverSession.close();
      await Promise.all([clientSession.closed, serverSession.closed]);
    },
  };
}
