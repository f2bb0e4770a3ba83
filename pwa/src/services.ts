import type { RoomsApi } from '@peerfetch/shared';
import type { InjectionKey } from 'vue';
import type { PeerFactory } from './connection/signaling-registration';
import type { AppDb } from './storage/db';

/** What the stores need from the outside world; built once in main.ts (the composition root). */
export interface AppServices {
  db: AppDb;
  createRooms: (baseUrl: URL) => RoomsApi;
  createPeer: PeerFactory;
  /** The address the app was served from (default signaling server). */
  location: { href: string };
  window: Window;
  document: Document;
}

export const servicesKey: InjectionKey<AppServices> = Symbol('services');
