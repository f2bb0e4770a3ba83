/** The edge agent as a library: what the CLIs and tests build on. */

export {
  ConnectError,
  type ConnectOptions,
  connectToDevice,
  type DeviceConnection,
} from './client/connect.js';
export { type EdgeConfig, EdgeConfigError, loadConfig, resolveConfig } from './config/index.js';
export { createDeviceApi, type DeviceApiOptions } from './device-api/handler.js';
export { createLogger, type Logger } from './logger.js';
export { type EdgeStatus, type RunningEdge, startEdge } from './main.js';
export { loadPairedClients } from './pairing/paired-clients.js';
export { createRouter, type Route, type RouteHandler } from './router/router.js';
export { createUpstreamHandler } from './router/upstream.js';
export { authenticatorFor } from './sessions/authenticate.js';
export {
  createSessionManager,
  type IncomingConnection,
  type SessionManager,
} from './sessions/session-manager.js';
export { IdentityError, loadOrCreateIdentity, readIdentity } from './state/identity.js';
export { closeWhenSettled, type HeldChannel, holdMessages } from './webrtc/held-channel.js';
export { loadPeer, maxMessageSizeOf, sessionInputsOf } from './webrtc/index.js';
export { type DialedSession, dialSession, onOpen } from './webrtc/open-event.js';
