import type { RoomMember, RoomsClient } from '@peerfetch/shared';
import type { BackoffOptions } from './backoff';
import type { ConnectionState } from './connection-state';
import { createDeviceConnection, type DeviceConnection } from './device-connection';
import { SignalingUnavailableError } from './errors';
import { createPeerLink } from './peer-link';
import {
  createSignalingClient,
  type PeerFactory,
  type SignalingClient,
  type SignalingState,
} from './signaling-client';

/** The part of window and document the manager listens to. */
export interface PageEvents {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface ConnectionManagerOptions {
  signalingUrl: URL;
  peerKey: string;
  /** Our name in the local room. */
  clientName: string;
  rooms: RoomsClient;
  createPeer: PeerFactory;
  onSignalingState: (state: SignalingState) => void;
  onDeviceState: (deviceId: string, state: ConnectionState) => void;
  backoff?: BackoffOptions;
  /** The page the app runs in; events for network and foreground come from it. */
  window: PageEvents;
  document: PageEvents & { readonly visibilityState: DocumentVisibilityState };
}

export interface ConnectionManager {
  /** The connection to a device, created (and started) on first use. */
  device(deviceId: string): DeviceConnection;
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
 * wake them: network back (`online`), app back in front (`visibilitychange`).
 */
export function createConnectionManager(options: ConnectionManagerOptions): ConnectionManager {
  const signaling: SignalingClient = createSignalingClient({
    url: options.signalingUrl,
    key: options.peerKey,
    name: options.clientName,
    rooms: options.rooms,
    createPeer: options.createPeer,
    backoff: options.backoff,
    onState: (state) => {
      options.onSignalingState(state);
      if (state.kind === 'ready') for (const connection of devices.values()) connection.retryNow();
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
  const onOnline = () => retryAll();
  const onOffline = () => {
    for (const connection of devices.values()) connection.markNetworkLost();
  };
  const onVisibility = () => {
    if (isVisible()) retryAll();
  };
  options.window.addEventListener('online', onOnline);
  options.window.addEventListener('offline', onOffline);
  options.document.addEventListener('visibilitychange', onVisibility);

  return {
    device(deviceId) {
      let connection = devices.get(deviceId);
      if (!connection) {
        connection = createDeviceConnection({
          deviceId,
          link,
          backoff: options.backoff,
          isVisible,
          onState: (state) => options.onDeviceState(deviceId, state),
        });
        devices.set(deviceId, connection);
        connection.retryNow();
      }
      return connection;
    },
    forget(deviceId) {
      devices.get(deviceId)?.close();
      devices.delete(deviceId);
    },
    listNearbyEdges: (signal) => signaling.listNearbyEdges(signal),
    retryAll,
    stop() {
      options.window.removeEventListener('online', onOnline);
      options.window.removeEventListener('offline', onOffline);
      options.document.removeEventListener('visibilitychange', onVisibility);
      for (const connection of devices.values()) connection.close();
      devices.clear();
      signaling.stop();
    },
  };
}
