import type { RoomMember } from '@peerfetch/shared';
import { defineStore } from 'pinia';
import { computed, inject, markRaw, reactive, ref, shallowRef, watch } from 'vue';
import { type ConnectionManager, createConnectionManager } from '../connection/connection-manager';
import type { ConnectionState } from '../connection/connection-state';
import type { SignalingState } from '../connection/signaling-client';
import { servicesKey } from '../services';
import { type DeviceRecord, deleteDevice, loadDevices, saveDevice } from '../storage/db';
import { useSettingsStore } from './settings';

/** Saved devices, their live connection states, and the signaling state. */
export const useDevicesStore = defineStore('devices', () => {
  const services = inject(servicesKey)!;
  const settings = useSettingsStore();
  const list = ref<DeviceRecord[]>([]);
  const states = reactive<Record<string, ConnectionState>>({});
  const signaling = ref<SignalingState>({ kind: 'connecting' });
  const manager = shallowRef<ConnectionManager>();
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
    for (const device of list.value) manager.value.device(device.id);
  }

  async function init() {
    list.value = await loadDevices(services.db);
    startManager();
    // A new server address or key means a new registration.
    watch(
      () => [settings.signalingUrl.href, settings.values.peerKey, settings.values.clientName],
      () => startManager(),
    );
  }

  function requireManager(): ConnectionManager {
    if (!manager.value) throw new Error('The app is still starting.');
    return manager.value;
  }

  async function add(member: Pick<RoomMember, 'id' | 'name'>): Promise<DeviceRecord> {
    const existing = byId.value.get(member.id);
    if (existing) return existing;
    const device: DeviceRecord = {
      id: member.id,
      name: member.name.trim() || member.id,
      addedAt: Date.now(),
    };
    await saveDevice(services.db, device);
    list.value = [...list.value, device];
    requireManager().device(device.id);
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

  async function remove(id: string) {
    await deleteDevice(services.db, id);
    list.value = list.value.filter((d) => d.id !== id);
    manager.value?.forget(id);
    delete states[id];
    if (settings.values.currentDeviceId === id) await settings.update('currentDeviceId', '');
  }

  /** fetch() on a device, through its connection. */
  function deviceFetch(id: string, path: string, init?: RequestInit): Promise<Response> {
    return requireManager().device(id).fetch(path, init);
  }

  function stateOf(id: string): ConnectionState {
    return states[id] ?? { kind: 'idle' };
  }

  return {
    list,
    states,
    signaling,
    now,
    byId,
    init,
    add,
    rename,
    remove,
    deviceFetch,
    stateOf,
    listNearbyEdges: (signal?: AbortSignal) => requireManager().listNearbyEdges(signal),
    retry: (id: string) => requireManager().device(id).retryNow(),
    retryAll: () => manager.value?.retryAll(),
  };
});
