import { DEFAULT_PEERJS_KEY } from '@peerfetch/shared';
import { defineStore } from 'pinia';
import { computed, inject, reactive, ref } from 'vue';
import { defaultSignalingUrl, parseSignalingUrl } from '../connection/signaling-url';
import { describeClient } from '../lib/client-name';
import { servicesKey } from '../services';
import { loadSettings, type SettingsRecord, saveSetting } from '../storage/db';

/**
 * Defaults for every setting. `signalingUrl: ''` means the app's own origin; an empty
 * `clientName` is replaced by one made from the browser ("Chrome on Android").
 */
export const DEFAULT_SETTINGS: SettingsRecord = {
  signalingUrl: '',
  peerKey: DEFAULT_PEERJS_KEY,
  clientName: '',
  relayOnly: false,
  speedTestMiB: 10,
  currentDeviceId: '',
};

export const useSettingsStore = defineStore('settings', () => {
  const services = inject(servicesKey)!;
  const values = reactive<SettingsRecord>({ ...DEFAULT_SETTINGS });
  const loaded = ref(false);

  /** The signaling server actually in use. */
  const signalingUrl = computed(() =>
    parseSignalingUrl(values.signalingUrl || defaultSignalingUrl(services.location)),
  );
  const defaultUrl = computed(() => defaultSignalingUrl(services.location));
  const client = describeClient(services.window.navigator.userAgent);
  /** What the screens call the thing the app runs on: "this phone", "this computer". */
  const here = `this ${client.kind}`;
  /** The same at the start of a sentence. */
  const Here = `This ${client.kind}`;

  async function load() {
    Object.assign(values, { ...DEFAULT_SETTINGS, ...(await loadSettings(services.db)) });
    if (values.clientName.trim() === '') values.clientName = client.name;
    loaded.value = true;
  }

  async function update<K extends keyof SettingsRecord>(key: K, value: SettingsRecord[K]) {
    values[key] = value;
    await saveSetting(services.db, key, value);
  }

  return { values, loaded, signalingUrl, defaultUrl, here, Here, load, update };
});
