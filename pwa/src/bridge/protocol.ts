/**
 * What the service worker and the page that holds a device's connection say to each other.
 * The worker posts one BridgeRequest per fetch with a MessagePort for the answer; answer
 * bodies travel on ports of their own (port-stream.ts).
 */

/** The message type the page listens for on navigator.serviceWorker. */
export const BRIDGE_REQUEST = 'peerfetch-bridge-request';

/** Worker → page, with `reply` as a transferred port. */
export interface BridgeRequest {
  type: typeof BRIDGE_REQUEST;
  deviceId: string;
  method: string;
  /** Path and query on the device, starting with `/`. */
  path: string;
  headers: [string, string][];
  reply: MessagePort;
  /** The request's body (a Blob is passed by reference, and kept on disk when large). */
  body: Blob | null;
}

/** Page → worker on `reply`: the answer's head (its body follows on `body`), or a failure. */
export type BridgeReply =
  | {
      type: 'head';
      status: number;
      statusText: string;
      headers: [string, string][];
      body: MessagePort | null;
    }
  | { type: 'failure'; status: number; detail: string };

/** Worker → page on `reply`: the fetch was aborted before its head arrived. */
export interface BridgeAbort {
  type: 'abort';
  reason: string;
}

/** The first segment of bridge paths under the app's scope: `<scope>peer/<device id>/<path>`. */
export const BRIDGE_SEGMENT = 'peer';
/**
 * The same answers, saved as a file (`content-disposition: attachment`). Chromium does not
 * send a link with the `download` attribute through the service worker, but it does a
 * navigation, and a navigation answered as an attachment becomes a download.
 */
export const BRIDGE_DOWNLOAD_SEGMENT = 'peer-download';

/** The bridge URL (relative to the app's base) for `path` on `deviceId`. */
export function bridgeUrl(deviceId: string, path: string, segment = BRIDGE_SEGMENT): string {
  const rest = path.startsWith('/') ? path : `/${path}`;
  return `${segment}/${encodeURIComponent(deviceId)}${rest}`;
}

/** The bridge URL that saves `path` on `deviceId` as a file. */
export function bridgeDownloadUrl(deviceId: string, path: string): string {
  return bridgeUrl(deviceId, path, BRIDGE_DOWNLOAD_SEGMENT);
}

export interface BridgeTarget {
  deviceId: string;
  /** Path and query on the device. */
  path: string;
  /** Answer as an attachment (a download). */
  download: boolean;
}

/** Splits a bridge URL into device id and device path, or null when it is not one. */
export function parseBridgeUrl(url: URL, scope: string): BridgeTarget | null {
  for (const segment of [BRIDGE_SEGMENT, BRIDGE_DOWNLOAD_SEGMENT]) {
    const prefix = new URL(`${segment}/`, scope);
    if (url.origin !== prefix.origin || !url.pathname.startsWith(prefix.pathname)) continue;
    const tail = url.pathname.slice(prefix.pathname.length);
    const slash = tail.indexOf('/');
    const id = slash < 0 ? tail : tail.slice(0, slash);
    if (!id) return null;
    let deviceId: string;
    try {
      deviceId = decodeURIComponent(id);
    } catch {
      return null;
    }
    const path = (slash < 0 ? '/' : tail.slice(slash)) + url.search;
    return { deviceId, path, download: segment === BRIDGE_DOWNLOAD_SEGMENT };
  }
  return null;
}
