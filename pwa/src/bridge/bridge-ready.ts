/**
 * Bridge URLs work only in a page the service worker controls. The first visit is controlled
 * once the new worker activates and claims it (src/sw.ts); until then a bridge URL would go
 * to the server. Resolves true once controlled, false when this browser has no service worker
 * (a private window in some browsers) or it did not take control in time.
 */
export function whenBridgeReady(timeoutMs = 15_000): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return Promise.resolve(false);
  const container = navigator.serviceWorker;
  if (container.controller) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(ok: boolean) {
      clearTimeout(timer);
      container.removeEventListener('controllerchange', onChange);
      resolve(ok);
    }
    function onChange() {
      if (container.controller) done(true);
    }
    container.addEventListener('controllerchange', onChange);
  });
}
