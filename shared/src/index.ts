export { type BackoffOptions, backoffDelayMs } from './backoff.js';
export { BufferedResponse, jsonResponse } from './buffered-response.js';
export type { DataChannelLike } from './channel.js';
export { whenClosed, whenOpen } from './channel.js';
export * from './constants.js';
export type { MediaItem, MediaPage, MediaUploadResult } from './device-api.js';
export * from './errors.js';
export { decodesContentEncoding } from './fetch/decode-body.js';
export {
  createPeerFetch,
  type PeerFetch,
  type PeerFetchInput,
  type PeerFetchOptions,
} from './fetch/peer-fetch.js';
export { type Logger, silentLogger } from './logger.js';
export * from './pairing/index.js';
export {
  describePathKind,
  isLocalAddress,
  type PathKind,
  pathKindFromStats,
  readPathStats,
  type StatsLike,
} from './path-kind.js';
export * from './problem.js';
export * from './rooms/index.js';
export {
  DEFAULT_WEBSOCKETS_PER_SESSION,
  type RequestHandler,
  type ServeOptions,
  serveRequests,
} from './server/serve-requests.js';
export {
  type AcceptOptions,
  type ServerWebSocket,
  type WebSocketUpgrade,
  webSocketUpgradeOf,
} from './server/websocket-upgrade.js';
export type { AuthChannel, Authenticator } from './session/auth.js';
export {
  type ClientSessionOptions,
  type ClientSessionSettings,
  NoSessionDescriptionError,
  openClientSession,
} from './session/open-client-session.js';
export type { SessionOptions } from './session/options.js';
export {
  PeerCloseEvent,
  PeerWebSocket,
  type PeerWebSocketOptions,
  WebSocketUnsupportedError,
} from './session/peer-websocket.js';
export { openSession, type PeerFetchSession, type Session } from './session/session.js';
export type { WsPipeEvents } from './session/ws-pipe.js';
export { type PeerServerOptions, peerServerOptions } from './signaling-url.js';
export { decodeFrame, encodeFrame, type Frame } from './wire/frame.js';
export { FrameFlag, FrameType } from './wire/frame-types.js';
export type { HeaderList, RequestHead, ResponseHead } from './wire/heads.js';
export {
  DEFAULT_WS_MESSAGE_BYTES,
  decodeClosePayload,
  encodeClosePayload,
  WsOpcode,
  type WsRecord,
} from './wire/ws-records.js';
