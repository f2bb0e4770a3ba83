import { registerSW } from 'virtual:pwa-register';
import { defineStore } from 'pinia';
import { ref } from 'vue';

/** The service worker: "new version, reload" when an update is waiting; offline-ready notice. */
export const useUpdateStore = defineStore('update', () => {
  const updateWaiting = ref(false);
  const offlineReady = ref(false);
  const registrationError = ref('');
  let apply: ((reload?: boolean) => Promise<void>) | undefined;

  function register() {
    if (!('serviceWorker' in navigator)) return;
    apply = registerSW({
      immediate: true,
      onNeedRefresh: () => {
        updateWaiting.value = true;
      },
      onOfflineReady: () => {
        offlineReady.value = true;
        // Good to know, not worth a tap: it goes away by itself.
        setTimeout(() => {
          offlineReady.value = false;
        }, 6000);
      },
      onRegisterError: (error: unknown) => {
        registrationError.value = `Offline use is not available: ${error instanceof Error ? error.message : String(error)}`;
      },
    });
  }

  async function reload() {
    await apply?.(true);
  }

  function dismiss() {
    updateWaiting.value = false;
    offlineReady.value = false;
  }

  return { updateWaiting, offlineReady, registrationError, register, reload, dismiss };
});
