import {
  AuthenticationError,
  type BackoffOptions,
  type RoomMember,
  type RoomsApi,
} from '@peerfetch/shared';
import type { ConnectionState } from './connection-state';
import { createDeviceConnection, type DeviceConnection } from './device-connection';
import { SignalingUnavailableError } from './errors';
import { type PairedDevice, pairWithDevice } from './pairing';
import { createPeerLink } from './peer-link';
import {
  createSignalingRegistration,
  type PeerFactory,
  type SignalingRegistration,
  type SignalingState,
} from './signaling-registration';

/** `persisted` is set on `pagehide` when the page goes into the back/forward cache. */
type PageListener = (event?: { persisted?: boolean }) => void;

/** The part of window and document the manager listens to. */
export interface PageEvents {
  addEventListener(type: string, listener: PageListener): void;
  removeEventListener(type: string, listener: PageListener): void;
}

export interface ConnectionManagerOptions {
  signalingUrl: URL;
  peerKey: string;
  /** Our name in the local room, and on the devices we pair with. */
  clientName: string;
  /** Offer and accept relay candidates only (iceTransportPolicy `relay`). */
  relayOnly?: boolean;
  /** Our peer id and its token: stable, because paired devices know this phone by its id. */
  identity: { id: string; token: string };
  /** The pairing key of a saved device (undefined: not paired, so never dialled). */
  keyOf: (deviceId: string) => CryptoKey | undefined;
  rooms: RoomsApi;
  createPeer: PeerFactory;
  onSignalingState: (state: SignalingState) => void;
  onDeviceState: (deviceId: string, state: ConnectionState) => void;
  backoff?: BackoffOptions;
  /** The page the app runs in; events for network and foreground come from it. */
  window: PageEvents;
  document: PageEvents & { readonly visibilityState: DocumentVisibilityState };
}

export interface ConnectionManager {
  /** The connection to a paired device, created (and started) on first use. */
  device(deviceId: string): DeviceConnection;
  /** The connection to a device, if one exists (no dialling). */
  existing(deviceId: string): DeviceConnection | undefined;
  /** Pairs with a device using the code it shows (a connection of its own). */
  pair(deviceId: string, code: string, signal?: AbortSignal): Promise<PairedDevice>;
  /** Stops and forgets a device's connection. */
  forget(deviceId: string): void;
  /** Edges in our local room. */
  listNearbyEdges(signal?: AbortSignal): Promise<RoomMember[]>;
  /** Reconnect everything that is waiting, now. */
  retryAll(): void;
  /** Closes every connection and leaves the signaling server. */
  stop(): void;
}

/**
 * The composition of signaling and device connections, plus the page events that should
 * wake them: network back (`online`), app back in front (`visibilitychange`); and the page
 * going away (`pagehide`), when every device gets a GOAWAY so it stops sending before the
 * browser tears the connections down (PROTOCOL.md §8).
 */
export function createConnectionManager(options: ConnectionManagerOptions): ConnectionManager {
  const signaling: SignalingRegistration = createSignalingRegistration({
    url: options.signalingUrl,
    key: options.peerKey,
    name: options.clientName,
    relayOnly: options.relayOnly,
    identity: options.identity,
    rooms: options.rooms,
    createPeer: options.createPeer,
    backoff: options.backoff,
    onState: (state) => {
      options.onSignalingState(state);
      if (state.kind === 'ready') for (const connection of devices.values()) connection.retryNow();
      // One countdown, the server's; and a device that went with the server shows it now.
      if (state.kind === 'retrying' || state.kind === 'failed')
        for (const connection of devices.values()) connection.signalingLost();
    },
  });
  // A device dial fails fast while signaling is down, so its card says why; signaling's
  // recovery then wakes every device (see onState above).
  const link = createPeerLink((signal) => {
    const state = signaling.state;
    if (state.kind === 'retrying' || state.kind === 'failed') {
      return Promise.reject(new SignalingUnavailableError(state.reason));
    }
    return signaling.waitForPeer(signal);
  });
  const devices = new Map<string, DeviceConnection>();
  const isVisible = () => options.document.visibilityState !== 'hidden';

  function retryAll() {
    signaling.retryNow();
    for (const connection of devices.values()) connection.retryNow();
  }
  // Back online, maybe on another network: what was bound to the old one is dead without
  // knowing it. Register over a fresh socket, and each session proves its path or redials.
  const onOnline = () => {
    signaling.renew();
    for (const connection of devices.values()) connection.checkPath();
    retryAll();
  };
  const onOffline = () => {
    for (const connection of devices.values()) connection.markNetworkLost();
  };
  const onVisibility = () => {
    if (isVisible()) retryAll();
  };
  const onPageHide: PageListener = (event) => {
    // A page kept in the back/forward cache may come back; one that unloads will not.
    if (!event?.persisted) stop();
  };
  options.window.addEventListener('online', onOnline);
  options.window.addEventListener('offline', onOffline);
  options.window.addEventListener('pagehide', onPageHide);
  options.document.addEventListener('visibilitychange', onVisibility);

  return {
    device(deviceId) {
      let connection = devices.get(deviceId);
      if (!connection) {
        connection = createDeviceConnection({
          deviceId,
          link,
          clientName: options.clientName,
          credentials: () => {
            const key = options.keyOf(deviceId);
            // The store never creates a connection for an unpaired device; this keeps it so.
            if (!key) throw notPaired();
            return { key };
          },
          backoff: options.backoff,
          isVisible,
          // The signaling socket likely went with the path: dial through a fresh one.
          onPathLost: () => signaling.renew(),
          onState: (state) => options.onDeviceState(deviceId, state),
        });
        devices.set(deviceId, connection);
        connection.retryNow();
      }
      return connection;
    },
    existing: (deviceId) => devices.get(deviceId),
    pair: (deviceId, code, signal) =>
      pairWithDevice({ link, deviceId, code, clientName: options.clientName, signal }),
    forget(deviceId) {
      devices.get(deviceId)?.close();
      devices.delete(deviceId);
    },
    listNearbyEdges: (signal) => signaling.listNearbyEdges(signal),
    retryAll,
    stop,
  };

  function stop() {
    options.window.removeEventListener('online', onOnline);
    options.window.removeEventListener('offline', onOffline);
    options.window.removeEventListener('pagehide', onPageHide);
    options.document.removeEventListener('visibilitychange', onVisibility);
    for (const connection of devices.values()) connection.close();
    devices.clear();
    signaling.stop();
  }
}

function notPaired(): AuthenticationError {
  return new AuthenticationError('not-paired', 'this app is not paired with the device');
}
