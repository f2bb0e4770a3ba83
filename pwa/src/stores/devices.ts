import { defineStore } from 'pinia';
import { computed, inject, markRaw, reactive, ref, shallowRef, watch } from 'vue';
import { type ConnectionManager, createConnectionManager } from '../connection/connection-manager';
import type { ConnectionState } from '../connection/connection-state';
import { DeviceFailedError } from '../connection/errors';
import { newIdentity, type SignalingState } from '../connection/signaling-registration';
import { type UnpairOutcome, unpairOnDevice } from '../connection/unpair';
import { servicesKey } from '../services';
import {
  type DeviceRecord,
  deleteDevice,
  type IdentityRecord,
  loadDevices,
  loadOrCreateIdentity,
  saveDevice,
} from '../storage/db';
import { useSettingsStore } from './settings';

const NOT_PAIRED_REASON =
  'This app is not paired with this device yet. Pair it with the code the device shows.';
/** The state of a saved device without a key (saved before pairing existed): never dialled. */
const NOT_PAIRED: ConnectionState = {
  kind: 'failed',
  reason: NOT_PAIRED_REASON,
  auth: 'not-paired',
};

/** Saved devices, their live connection states, and the signaling state. */
export const useDevicesStore = defineStore('devices', () => {
  const services = inject(servicesKey)!;
  const settings = useSettingsStore();
  const list = ref<DeviceRecord[]>([]);
  const states = reactive<Record<string, ConnectionState>>({});
  const signaling = ref<SignalingState>({ kind: 'connecting' });
  const manager = shallowRef<ConnectionManager>();
  let identity: IdentityRecord | undefined;
  /** This phone's peer id: how paired devices know it (`peerfetch-edge clients`). */
  const phoneId = ref('');
  /** Ticks every second so "retrying in N s" counts down. */
  const now = ref(Date.now());
  setInterval(() => {
    now.value = Date.now();
  }, 1000);

  const byId = computed(() => new Map(list.value.map((device) => [device.id, device])));

  function startManager() {
    manager.value?.stop();
    const url = settings.signalingUrl;
    manager.value = markRaw(
      createConnectionManager({
        signalingUrl: url,
        peerKey: settings.values.peerKey,
        clientName: settings.values.clientName,
        relayOnly: settings.values.relayOnly,
        identity: identity!,
        keyOf: (id) => byId.value.get(id)?.key,
        rooms: services.createRooms(url),
        createPeer: services.createPeer,
        window: services.window,
        document: services.document,
        onSignalingState: (state) => {
          signaling.value = state;
        },
        onDeviceState: (id, state) => {
          states[id] = state;
        },
      }),
    );
    for (const device of list.value) if (device.key) manager.value.device(device.id);
  }

  async function init() {
    identity = await loadOrCreateIdentity(services.db, newIdentity);
    phoneId.value = identity.id;
    list.value = await loadDevices(services.db);
    startManager();
    // A new server address, key, name or relay choice means a new registration.
    watch(
      () => [
        settings.signalingUrl.href,
        settings.values.peerKey,
        settings.values.clientName,
        settings.values.relayOnly,
      ],
      () => startManager(),
    );
  }

  function requireManager(): ConnectionManager {
    if (!manager.value) throw new Error('The app is still starting.');
    return manager.value;
  }

  /**
   * Pairs with a device using the code it shows, then saves it with its key (a device
   * paired again keeps the name the user gave it). Rejects with a PairingError.
   */
  async function pair(deviceId: string, code: string, signal?: AbortSignal): Promise<DeviceRecord> {
    const current = requireManager();
    const { key, edgeName } = await current.pair(deviceId, code, signal);
    const existing = byId.value.get(deviceId);
    const device: DeviceRecord = {
      id: deviceId,
      name: existing?.name ?? (edgeName.trim() || deviceId),
      addedAt: existing?.addedAt ?? Date.now(),
      key,
      pairedAt: Date.now(),
    };
    await saveDevice(services.db, device);
    list.value = existing
      ? list.value.map((d) => (d.id === deviceId ? device : d))
      : [...list.value, device];
    // A connection made with an older key (or none) starts over with the new one.
    current.forget(deviceId);
    current.device(deviceId);
    return device;
  }

  async function rename(id: string, name: string) {
    const device = byId.value.get(id);
    const trimmed = name.trim();
    if (!device || trimmed === '') return;
    const renamed = { ...device, name: trimmed };
    await saveDevice(services.db, renamed);
    list.value = list.value.map((d) => (d.id === id ? renamed : d));
  }

  /**
   * Removes a device. If it is online it is first asked to forget this phone; the outcome
   * says whether it was told (if not, it lists this phone until unpaired there).
   */
  async function remove(id: string): Promise<UnpairOutcome> {
    const outcome = await unpairOnDevice(manager.value?.existing(id));
    await deleteDevice(services.db, id);
    list.value = list.value.filter((d) => d.id !== id);
    manager.value?.forget(id);
    delete states[id];
    if (settings.values.currentDeviceId === id) await settings.update('currentDeviceId', '');
    return outcome;
  }

  /** fetch() on a device, through its connection. */
  function deviceFetch(id: string, path: string, init?: RequestInit): Promise<Response> {
    if (byId.value.has(id) && !byId.value.get(id)?.key)
      return Promise.reject(new DeviceFailedError(NOT_PAIRED_REASON));
    return requireManager().device(id).fetch(path, init);
  }

  function stateOf(id: string): ConnectionState {
    if (byId.value.has(id) && !byId.value.get(id)?.key) return NOT_PAIRED;
    return states[id] ?? { kind: 'idle' };
  }

  return {
    list,
    states,
    signaling,
    now,
    byId,
    init,
    phoneId,
    pair,
    rename,
    remove,
    deviceFetch,
    stateOf,
    listNearbyEdges: (signal?: AbortSignal) => requireManager().listNearbyEdges(signal),
    /** The user asked to try again (also after a failure such as "not verified"). */
    retry: (id: string) => {
      if (byId.value.get(id)?.key) requireManager().device(id).reconnect();
    },
    retryAll: () => manager.value?.retryAll(),
  };
});
