/** The edge agent as a library: what the CLIs and tests build on. */
export {
  ConnectError,
  type ConnectOptions,
  connectToDevice,
  type DeviceConnection,
} from './client/connect.js';
export { ConfigError, type EdgeConfig, loadConfig, resolveConfig } from './config/index.js';
export { createDeviceApi, type DeviceApiOptions } from './device-api/handler.js';
export { createLogger, type Logger } from './logger.js';
export { type EdgeStatus, type RunningEdge, startEdge } from './main.js';
export { createRouter, type Route, type RouteHandler } from './router/router.js';
export { createUpstreamHandler } from './router/upstream.js';
export { type HeldChannel, holdMessages } from './sessions/held-channel.js';
export { IdentityError, loadOrCreateIdentity, readIdentity } from './state/identity.js';
