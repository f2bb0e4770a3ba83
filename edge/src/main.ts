/**
 * Composition root: wires identity, router, sessions, presence and the control socket
 * into a running edge. The CLI reads the environment and flags and calls this.
 */
import { join } from 'node:path';
import { createRoomsClient } from '@peerfetch/shared';
import type { EdgeConfig } from './config/schema.js';
import { CONTROL_SOCKET_NAME } from './control/protocol.js';
import { type ControlServer, startControlServer } from './control/server.js';
import type { Logger } from './logger.js';
import { createPresence, type Presence } from './presence/presence.js';
import { buildHandler } from './routes.js';
import { createSessionManager, type IncomingConnection } from './sessions/session-manager.js';
import { loadOrCreateIdentity } from './state/identity.js';
import { loadPeer, maxMessageSizeOf } from './webrtc/index.js';

export interface RunningEdge {
  readonly peerId: string;
  status(): EdgeStatus;
  /** Stops serving: closes every session, leaves the room, destroys the peer. */
  stop(): Promise<void>;
}

export interface EdgeStatus {
  peerId: string;
  name: string;
  version: string;
  signaling: { url: string; state: Presence['state']; registrations: number };
  sessions: number;
  routes: string[];
  uptimeSeconds: number;
}

export async function startEdge(
  config: EdgeConfig,
  logger: Logger,
  version: string,
): Promise<RunningEdge> {
  const { identity, created, path } = await loadOrCreateIdentity(config.stateDir);
  if (created) logger.info({ path, peerId: identity.peerId }, 'created a new device identity');
  const handler = buildHandler(config, version, logger.child({ module: 'router' }));
  const Peer = await loadPeer();
  const sessions = createSessionManager({
    handler,
    logger: logger.child({ module: 'sessions' }),
    maxSessions: config.limits.sessions,
    maxConcurrentRequests: config.limits.requestsPerSession,
    maxMessageSizeOf,
    agent: `peerfetch-edge/${version}`,
  });
  const presence = createPresence({
    Peer,
    identity,
    signalingUrl: config.signaling.url,
    key: config.signaling.key,
    name: config.name,
    iceServers: config.iceServers,
    rooms: createRoomsClient({ baseUrl: config.signaling.url }),
    logger: logger.child({ module: 'presence' }),
    onConnection: (connection) => sessions.accept(connection as unknown as IncomingConnection),
  });
  const started = Date.now();
  const status = (): EdgeStatus => ({
    peerId: identity.peerId,
    name: config.name,
    version,
    signaling: {
      url: config.signaling.url,
      state: presence.state,
      registrations: presence.registrations,
    },
    sessions: sessions.size,
    routes: Object.keys(config.routes).concat(
      config.deviceApi.enabled && !config.routes['/'] ? ['/ (device API)'] : [],
    ),
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  });
  const control: ControlServer = await startControlServer(
    join(config.stateDir, CONTROL_SOCKET_NAME),
    { status: async () => status() },
    logger.child({ module: 'control' }),
  );
  presence.start();
  logger.info({ peerId: identity.peerId, name: config.name, version }, 'edge started');

  return {
    peerId: identity.peerId,
    status,
    async stop() {
      await control.close();
      await sessions.closeAll();
      await presence.stop();
      logger.info('edge stopped');
    },
  };
}
