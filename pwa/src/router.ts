import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';

// Hash history: the app can be hosted at any path by any static server, and deep links
// (like the pairing QR link) work without server rewrites.
const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'devices',
    component: () => import('./views/DevicesView.vue'),
    meta: { title: 'Devices', tab: 'devices' },
  },
  {
    path: '/add',
    name: 'add-device',
    component: () => import('./views/AddDeviceView.vue'),
    meta: { title: 'Add device', tab: 'devices' },
  },
  {
    // The device's QR link: `<signaling URL>/#/pair?device=ID&code=123456` (also "Add device").
    path: '/pair',
    name: 'pair',
    component: () => import('./views/PairView.vue'),
    meta: { title: 'Pair device', tab: 'devices' },
  },
  {
    path: '/devices/:id',
    name: 'device',
    component: () => import('./views/DeviceDashboardView.vue'),
    meta: { title: 'Device', tab: 'devices' },
  },
  {
    path: '/devices/:id/media',
    name: 'media',
    component: () => import('./views/MediaView.vue'),
    meta: { title: 'Media', tab: 'media' },
  },
  {
    path: '/devices/:id/console',
    name: 'console',
    component: () => import('./views/ConsoleView.vue'),
    meta: { title: 'API console', tab: 'console' },
  },
  {
    path: '/media',
    name: 'pick-media',
    component: () => import('./views/PickDeviceView.vue'),
    meta: { title: 'Media', tab: 'media', target: 'media' },
  },
  {
    path: '/console',
    name: 'pick-console',
    component: () => import('./views/PickDeviceView.vue'),
    meta: { title: 'API console', tab: 'console', target: 'console' },
  },
  {
    path: '/settings',
    name: 'settings',
    component: () => import('./views/SettingsView.vue'),
    meta: { title: 'Settings', tab: 'settings' },
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

export function createAppRouter() {
  const router = createRouter({
    history: createWebHashHistory(),
    routes,
    scrollBehavior: () => ({ top: 0 }),
  });
  // Each screen its own title: tabs, history and screen readers tell them apart.
  router.afterEach((to) => {
    const title = to.meta.title;
    document.title = typeof title === 'string' ? `${title} · PeerFetch` : 'PeerFetch';
  });
  return router;
}
