export { createRoomsApi, type RoomsApi, type RoomsApiOptions } from './api.js';
export { RoomsApiError } from './errors.js';
export * from './types.js';
