/**
 * `window.peerfetch.fetch(deviceId, path, init)`: the app's own device fetch, for the
 * browser's console, and for the tests and the bench that compare the bridge with it over
 * the same session.
 */
export type DeviceFetch = (deviceId: string, path: string, init?: RequestInit) => Promise<Response>;

export function exposeDeviceFetch(target: Window, fetch: DeviceFetch): void {
  Object.defineProperty(target, 'peerfetch', {
    value: Object.freeze({ fetch }),
    configurable: true,
  });
}
