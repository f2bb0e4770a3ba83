/**
 * The app's service worker (built by vite-plugin-pwa, injectManifest): the app shell
 * precached for offline use, every navigation answered with index.html, and the device
 * bridge (`peer/<device id>/<path>`, see bridge/worker-side.ts) answered through a window.
 */
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import {
  answerBridgeFetch,
  type BridgeFetchEvent,
  type BridgeWorkerScope,
  isBridgeUrl,
} from './bridge/worker-side';

interface WorkerGlobals extends BridgeWorkerScope {
  __WB_MANIFEST: Parameters<typeof precacheAndRoute>[0];
  skipWaiting(): Promise<void>;
  clients: BridgeWorkerScope['clients'] & { claim(): Promise<void> };
  addEventListener(type: string, listener: (event: ExtendableEventLike) => void): void;
}
interface ExtendableEventLike {
  data?: unknown;
  waitUntil(promise: Promise<unknown>): void;
}
const worker = self as unknown as WorkerGlobals;

// First, so that navigations to bridge URLs (a link opened in a tab) reach the device too.
// Workbox routes by method; the bridge carries every one it knows.
for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const)
  registerRoute(
    ({ url }) => isBridgeUrl(worker, url),
    ({ event }) => answerBridgeFetch(worker, event as unknown as BridgeFetchEvent),
    method,
  );

// `self.__WB_MANIFEST` is the literal the build replaces with the precache list.
precacheAndRoute((self as unknown as WorkerGlobals).__WB_MANIFEST);
cleanupOutdatedCaches();
// The signaling server's own endpoints are live data, never app shell.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    denylist: [/^\/peerjs/, /^\/rooms/, /^\/ice/, /^\/health/, /^\/metrics/],
  }),
);

// "New version, reload": the page asks the waiting worker to take over (registerType 'prompt').
worker.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void worker.skipWaiting();
});
// The first worker takes the open windows at once, so media plays through the bridge without a
// reload; an update waits for SKIP_WAITING above, as before.
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));
