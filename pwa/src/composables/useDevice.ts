import { computed, watch } from 'vue';
import { useRoute } from 'vue-router';
import { useDevicesStore } from '../stores/devices';
import { useSettingsStore } from '../stores/settings';

/** The device named by the route's `:id`, its state, and a fetch bound to it. */
export function useDevice() {
  const route = useRoute();
  const devices = useDevicesStore();
  const settings = useSettingsStore();
  const id = computed(() => String(route.params.id ?? ''));
  const device = computed(() => devices.byId.get(id.value));
  const state = computed(() => devices.stateOf(id.value));
  /** Pairing or the device's proof failed: the header says why; screens show no fetch errors. */
  const authBlocked = computed(() => state.value.kind === 'failed' && !!state.value.auth);

  // Media and Console tabs follow the device the user looked at last.
  watch(
    device,
    (d) => {
      if (d && settings.values.currentDeviceId !== d.id)
        void settings.update('currentDeviceId', d.id);
    },
    { immediate: true },
  );

  return {
    id,
    device,
    state,
    authBlocked,
    fetch: (path: string, init?: RequestInit) => devices.deviceFetch(id.value, path, init),
  };
}
