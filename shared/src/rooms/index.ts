export { createRoomsApi, type RoomsApi, type RoomsApiOptions } from './api.js';
export { RoomsApiError } from './errors.js';
export {
  ICE_RETRY_MS,
  type IceRefresh,
  type IceRefreshOptions,
  iceRefreshDelayMs,
  keepIceServersFresh,
  MIN_ICE_REFRESH_MS,
} from './ice-refresh.js';
export * from './types.js';
