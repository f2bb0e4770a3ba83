// The composition root: the only place that touches the page's globals and wires modules.
import { createRoomsApi } from '@peerfetch/shared';
import { Peer } from 'peerjs';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { exposeDeviceFetch } from './bridge/console-handle';
import { installBridgeHost } from './bridge/page-side';
import { createAppRouter } from './router';
import { hasSecureContext, showSecureContextHelp } from './secure-context';
import { type AppServices, servicesKey } from './services';
import { openAppDb } from './storage/db';
import { useDevicesStore } from './stores/devices';
import { useSettingsStore } from './stores/settings';
import { useUpdateStore } from './stores/update';
import './styles/tokens.css';
import './styles/base.css';
import './styles/controls.css';

async function start() {
  // Vue Router ignores address changes until its first navigation is done (and then writes
  // its own address back); follow one typed while the app was starting.
  let typedWhileStarting: string | undefined;
  const onHashChange = () => {
    typedWhileStarting = window.location.hash.replace(/^#/, '') || '/';
  };
  window.addEventListener('hashchange', onHashChange);
  const services: AppServices = {
    db: await openAppDb(),
    createRooms: (baseUrl) => createRoomsApi({ baseUrl }),
    createPeer: (id, options) => new Peer(id, options),
    location: window.location,
    window,
    document,
  };
  const app = createApp(App);
  app.provide(servicesKey, services);
  app.use(createPinia());
  // Stores read services through inject(), which works in app context.
  await app.runWithContext(async () => {
    await useSettingsStore().load();
    await useDevicesStore().init();
    useUpdateStore().register();
    const devices = useDevicesStore();
    const fetchOnDevice = (id: string, path: string, init?: RequestInit) =>
      devices.deviceFetch(id, path, init);
    // The service worker's `peer/<device id>/...` requests are answered over this window's connections.
    if ('serviceWorker' in navigator)
      installBridgeHost(navigator.serviceWorker, {
        fetch: fetchOnDevice,
        knows: (id) => devices.byId.has(id),
      });
    exposeDeviceFetch(window, fetchOnDevice);
  });
  const router = createAppRouter();
  app.use(router);
  app.mount('#app');
  await router.isReady();
  window.removeEventListener('hashchange', onHashChange);
  if (typedWhileStarting && typedWhileStarting !== router.currentRoute.value.fullPath) {
    await router.replace(typedWhileStarting);
  }
}

const root = document.getElementById('app');
if (!hasSecureContext(window)) {
  if (root) showSecureContextHelp(root, window.location);
} else
  start().catch((error: unknown) => {
    if (root) {
      root.textContent = `PeerFetch could not start: ${error instanceof Error ? error.message : String(error)}. Reload the page; if this keeps happening, clear the site's data in your browser settings.`;
      root.className = 'fatal';
    }
  });
