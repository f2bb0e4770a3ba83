/** The edge agent as a library: what the CLIs and tests build on. */

export { AUTH_EXIT_CODES } from './cli/client-errors.js';
export {
  ConnectError,
  type ConnectOptions,
  connectToDevice,
  DeviceChoiceError,
  type DeviceConnection,
  openAuthenticatedSession,
} from './client/connect.js';
export { devicesPath, readDevices, type StoredDevice } from './client/devices-store.js';
export { ConfigError, type EdgeConfig, loadConfig, resolveConfig } from './config/index.js';
export { createDeviceApi, type DeviceApiOptions } from './device-api/handler.js';
export { createLogger, type Logger } from './logger.js';
export { type EdgeStatus, type RunningEdge, startEdge } from './main.js';
export {
  loadPairedClients,
  PAIRED_CLIENTS_FILE,
  type PairedClients,
  PairedClientsError,
} from './pairing/paired-clients.js';
export { newPairingCode } from './pairing/pairing-window.js';
export { createRouter, type Route, type RouteHandler } from './router/router.js';
export { createUpstreamHandler } from './router/upstream.js';
export { authenticatorFor, type EdgeAuthDeps } from './sessions/authenticate.js';
export { closeWhenSettled, type HeldChannel, holdMessages } from './sessions/held-channel.js';
export {
  createSessionManager,
  type IncomingConnection,
  type SessionManager,
} from './sessions/session-manager.js';
export { writeFileAtomic } from './state/atomic-write.js';
export { IdentityError, loadOrCreateIdentity, readIdentity } from './state/identity.js';
