/**
 * The service worker's half of the bridge: a fetch of `<scope>peer/<device id>/<path>` is
 * handed to a window of the app, which holds the device's WebRTC connection (a worker
 * cannot: there is no RTCPeerConnection in workers), and answered with what the device says.
 */
import { PROBLEM_CONTENT_TYPE, problemBody } from '@peerfetch/shared';
import { receiveStream } from './port-stream';
import {
  BRIDGE_REQUEST,
  type BridgeReply,
  type BridgeRequest,
  bridgeUrl,
  parseBridgeUrl,
} from './protocol';

/** The parts of the worker's globals the bridge uses (the app is typed with the DOM lib). */
export interface BridgeWorkerScope {
  registration: { scope: string };
  clients: {
    get(id: string): Promise<BridgeClient | undefined>;
    matchAll(options: { type: 'window' }): Promise<readonly BridgeClient[]>;
  };
}
interface BridgeClient {
  id: string;
  type: string;
  focused?: boolean;
  visibilityState?: string;
  postMessage(message: unknown, transfer: Transferable[]): void;
}
export interface BridgeFetchEvent {
  request: Request;
  clientId: string;
  waitUntil(promise: Promise<unknown>): void;
}

/** True when `url` is a bridge URL under this worker's scope. */
export function isBridgeUrl(scope: BridgeWorkerScope, url: URL): boolean {
  return parseBridgeUrl(url, scope.registration.scope) !== null;
}

/** Answers a bridge fetch through a window of the app, or with a problem when none can. */
export async function answerBridgeFetch(
  scope: BridgeWorkerScope,
  event: BridgeFetchEvent,
): Promise<Response> {
  const { request } = event;
  const target = parseBridgeUrl(new URL(request.url), scope.registration.scope);
  if (!target) return problemResponse(404, 'Not a PeerFetch bridge address.');
  const client = await pickWindow(scope, event.clientId);
  if (!client)
    return problemResponse(
      503,
      'No window of the PeerFetch app is open, and only a window can hold the connection to a device. Open the app and try again.',
      { 'retry-after': '5' },
    );
  const reply = new MessageChannel();
  const message: BridgeRequest = {
    type: BRIDGE_REQUEST,
    deviceId: target.deviceId,
    method: request.method,
    path: target.path,
    headers: [...request.headers],
    reply: reply.port2,
    body: await requestBodyOf(request),
  };
  client.postMessage(message, [reply.port2]);
  return new Promise<Response>((resolve) => {
    const signal = request.signal;
    const onAbort = () => {
      reply.port1.postMessage({ type: 'abort', reason: reasonOf(signal.reason) });
      reply.port1.close();
      resolve(Response.error());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    reply.port1.onmessage = (e: MessageEvent<BridgeReply>) => {
      signal.removeEventListener('abort', onAbort);
      reply.port1.close();
      const answer = e.data;
      if (answer.type === 'failure') {
        resolve(problemResponse(answer.status, answer.detail));
        return;
      }
      const headers = answer.headers.map(([name, value]): [string, string] =>
        name === 'location'
          ? [name, bridgedLocation(value, target.deviceId, scope.registration.scope)]
          : [name, value],
      );
      if (target.download && answer.status < 300) asAttachment(headers, target.path);
      const init = { status: answer.status, statusText: answer.statusText, headers };
      if (!answer.body) {
        resolve(new Response(null, init));
        return;
      }
      const stream = receiveStream(answer.body, { signal });
      // Keep the worker alive while the body streams through it.
      event.waitUntil(stream.done);
      resolve(new Response(stream.readable, init));
    };
  });
}

/** Makes a download of an answer: the device's own attachment name if it gave one, else the path's. */
function asAttachment(headers: [string, string][], path: string): void {
  const given = headers.findIndex(([name]) => name === 'content-disposition');
  if (given >= 0 && /^\s*attachment/i.test(headers[given]![1])) return;
  if (given >= 0) headers.splice(given, 1);
  const last = path.split('?')[0]!.split('/').pop() ?? '';
  let name = 'download';
  try {
    name = decodeURIComponent(last) || name;
  } catch {
    name = last || name;
  }
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  headers.push([
    'content-disposition',
    `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
  ]);
}

/**
 * A redirect to a path on the device (the edge maps its routes' redirects to those) stays on
 * the device: `/x` becomes `<scope>peer/<id>/x`. Other targets are left as they are.
 */
function bridgedLocation(location: string, deviceId: string, scope: string): string {
  if (!location.startsWith('/') || location.startsWith('//')) return location;
  return new URL(bridgeUrl(deviceId, location), scope).href;
}

/** The window that asked, if it is one; else a visible or focused one; else any. */
async function pickWindow(
  scope: BridgeWorkerScope,
  clientId: string,
): Promise<BridgeClient | undefined> {
  const asking = clientId ? await scope.clients.get(clientId) : undefined;
  if (asking?.type === 'window') return asking;
  const windows = await scope.clients.matchAll({ type: 'window' });
  return (
    windows.find((w) => w.focused) ??
    windows.find((w) => w.visibilityState === 'visible') ??
    windows[0]
  );
}

/**
 * The request's body as a Blob, or null when it has none. The browser keeps a large Blob on
 * disk, and a Blob posted to the page is passed by reference, not copied; the page sends it
 * with its length, as the app's own fetch does (many device APIs refuse chunked uploads).
 */
async function requestBodyOf(request: Request): Promise<Blob | null> {
  if (request.method === 'GET' || request.method === 'HEAD') return null;
  const blob = await request.blob();
  return blob.size > 0 ? blob : null;
}

/** A problem+json answer made here, in the worker (a plain Response, so respondWith can take it). */
function problemResponse(status: number, detail: string, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(problemBody(status, detail)), {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

function reasonOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : 'The request was aborted.';
}
