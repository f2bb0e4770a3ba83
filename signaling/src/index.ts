export { type AppDeps, createApp } from './app.js';
export {
  CONFIG_HELP,
  parseConfig,
  type SignalingConfig,
  SignalingConfigError,
  type TrustProxy,
} from './config.js';
export { iceServersFor, turnCredential } from './ice.js';
export { InvalidAddressError, networkKey, roomIdFor } from './network-key.js';
export {
  createSignalingServer,
  type SignalingServer,
  type SignalingServerOptions,
} from './server.js';
