export { createRoomsClient, type RoomsClient, type RoomsClientOptions } from './client.js';
export { RoomsApiError } from './errors.js';
export * from './types.js';
