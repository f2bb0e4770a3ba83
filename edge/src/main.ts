/**
 * Composition root: wires identity, router, sessions, presence and the control socket
 * into a running edge. The CLI reads the environment and flags and calls this.
 */
import { join } from 'node:path';
import { createRoomsApi } from '@peerfetch/shared';
import type { EdgeConfig } from './config/schema.js';
import { CONTROL_SOCKET_NAME } from './control/protocol.js';
import { type ControlServer, startControlServer } from './control/server.js';
import type { Logger } from './logger.js';
import { measured } from './ops/measured-handler.js';
import { createEdgeMetrics } from './ops/metrics.js';
import { startOpsServer } from './ops/server.js';
import { loadPairedClients } from './pairing/paired-clients.js';
import { pairingText } from './pairing/pairing-link.js';
import { createPairingService, type PairingService } from './pairing/pairing-service.js';
import { httpFetch } from './presence/http-fetch.js';
import { createPresence, type Presence } from './presence/presence.js';
import { buildHandler } from './router/routes.js';
import { authenticatorFor } from './sessions/authenticate.js';
import { createSessionManager, type IncomingConnection } from './sessions/session-manager.js';
import { removeStaleTempFiles } from './state/atomic-write.js';
import { loadOrCreateIdentity } from './state/identity.js';
import { guardedPeerClass } from './webrtc/guarded-peer.js';
import { loadPeer, maxMessageSizeOf } from './webrtc/index.js';
import { createSignalingGuard } from './webrtc/signaling-guard.js';

export interface StartEdgeOptions {
  /** Prints the pairing code and QR code here when a window opens (a TTY). */
  terminal?: NodeJS.WritableStream;
  /**
   * Clients whose sessions died with a previous process of this edge (a crash): once
   * registered, the edge tells them to drop those connections, so they reconnect at once
   * instead of at their ping timeout.
   */
  orphanedClients?: string[];
  /** Called with the clients that have sessions, whenever that set changes. */
  onClientsChanged?(clientIds: string[]): void;
}

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
  signaling: {
    url: string;
    state: Presence['state'];
    registrations: number;
    /** Relayed messages dropped by the signaling guard since start, by reason. */
    dropped: Record<string, number>;
    /** Connections admitted that have not authenticated yet. */
    pendingConnections: number;
  };
  sessions: number;
  pairedClients: number;
  /** Until when new clients can pair (ms since the epoch), or null when closed. */
  pairingOpenUntil: number | null;
  routes: string[];
  uptimeSeconds: number;
}

export async function startEdge(
  config: EdgeConfig,
  logger: Logger,
  version: string,
  startOptions: StartEdgeOptions = {},
): Promise<RunningEdge> {
  const { identity, created, path } = await loadOrCreateIdentity(config.stateDir);
  if (created) logger.info({ path, peerId: identity.peerId }, 'created a new device identity');
  // Read at each scrape; `status` is complete before the ops port opens.
  const metrics = createEdgeMetrics(() => status());
  const handler = measured(
    buildHandler(config, version, logger.child({ module: 'router' })),
    metrics,
    Object.keys(config.routes),
  );
  const pairingLog = logger.child({ module: 'pairing' });
  const clients = await loadPairedClients({ stateDir: config.stateDir, logger: pairingLog });
  const guard = createSignalingGuard({
    isPaired: (id) => clients.match(id).some((client) => client.id === id),
    logger: logger.child({ module: 'signaling-guard' }),
  });
  const Peer = guardedPeerClass(await loadPeer(), guard);
  const service: PairingService = await createPairingService({
    clients,
    stateDir: config.stateDir,
    edgeId: identity.peerId,
    signalingUrl: config.signaling.url,
    windowMs: config.pairing.windowMinutes * 60_000,
    logger: pairingLog,
    // `sessions` exists by the time anyone can run `unpair` (the control socket starts later).
    closeSessions: (clientId) => sessions.closeClient(clientId),
    show: startOptions.terminal
      ? (opened, link) => {
          void pairingText(opened, link).then((text) => startOptions.terminal?.write(`${text}\n`));
        }
      : undefined,
  });
  const sessions = createSessionManager({
    handler,
    logger: logger.child({ module: 'sessions' }),
    maxSessions: config.limits.sessions,
    maxConcurrentRequests: config.limits.requestsPerSession,
    maxMessageSizeOf,
    agent: `peerfetch-edge/${version}`,
    batch: config.batchFrames,
    authenticatorFor: (connection, log) =>
      authenticatorFor(
        {
          edgeId: identity.peerId,
          edgeName: config.name,
          findClientKey: (id) => clients.findKey(id),
          pairing: service.window,
          onAuthenticated(clientId, how) {
            clients.touch(clientId);
            metrics.sessionsOpened.inc();
            log.info({ clientId, how }, 'client authenticated');
          },
          onRefused: (reason) => metrics.authFailures.inc({ reason }),
        },
        connection,
        log,
      ),
    forgetClient: (clientId) => service.forget(clientId),
    onAuthenticated: (connection) => guard.authenticated(connection.peer, connection.connectionId),
    onClientsChanged: startOptions.onClientsChanged,
  });
  const presence = createPresence({
    Peer,
    identity,
    signalingUrl: config.signaling.url,
    key: config.signaling.key,
    name: config.name,
    iceServers: config.iceServers,
    relayOnly: config.relayOnly,
    // Not Node's fetch: running undici's parser leaves about 6 MiB resident (see http-fetch.ts).
    rooms: createRoomsApi({ baseUrl: config.signaling.url, fetch: httpFetch }),
    logger: logger.child({ module: 'presence' }),
    dropConnectionsOf: startOptions.orphanedClients,
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
      dropped: { ...guard.dropped },
      pendingConnections: guard.pending,
    },
    sessions: sessions.size,
    pairedClients: clients.size,
    pairingOpenUntil: service.window.current()?.expiresAt ?? null,
    routes: Object.keys(config.routes).concat(
      config.deviceApi.enabled && !config.routes['/'] ? ['/ (device API)'] : [],
    ),
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  });
  const control: ControlServer = await startControlServer(
    join(config.stateDir, CONTROL_SOCKET_NAME),
    {
      status: async () => status(),
      pair: async () => service.pair(),
      clients: async () => service.clientsTable(),
      unpair: async ({ client }) => service.unpair(client),
    },
    logger.child({ module: 'control' }),
  );
  const ops = await startOpsServer(config.ops.listen, {
    status,
    metrics,
    logger: logger.child({ module: 'ops' }),
  });
  const stale = await removeStaleTempFiles(config.stateDir);
  if (stale.length > 0) logger.info({ files: stale }, 'removed temp files of an interrupted save');
  presence.start();
  logger.info(
    { peerId: identity.peerId, name: config.name, version, pairedClients: clients.size },
    'edge started',
  );
  await service.openIfUnpaired();

  return {
    peerId: identity.peerId,
    status,
    async stop() {
      await control.close();
      await ops.close();
      service.window.close('stopped');
      await sessions.closeAll();
      await presence.stop();
      await clients
        .flush()
        .catch((error: Error) =>
          pairingLog.error({ err: error.message }, 'cannot save last-seen times'),
        );
      logger.info('edge stopped');
    },
  };
}
