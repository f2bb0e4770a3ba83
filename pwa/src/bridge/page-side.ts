/**
 * The page's half of the bridge: answers the service worker's bridge requests with the app's
 * own device fetch, over the connection this window holds. Answer bodies stream through a port
 * (port-stream.ts); an abort from the worker cancels the request, which sends CANCEL
 * to the edge.
 */
import { describeConnectionError } from '../connection/errors';
import { bridgeHeaders } from './decoded-headers';
import { sendStream } from './port-stream';
import { BRIDGE_REQUEST, type BridgeAbort, type BridgeReply, type BridgeRequest } from './protocol';

export interface BridgeHostOptions {
  /** fetch() on a paired device, through this window's connection to it. */
  fetch(deviceId: string, path: string, init: RequestInit): Promise<Response>;
  /** Whether `deviceId` is a device paired with this app. */
  knows(deviceId: string): boolean;
}

/** Starts answering bridge requests that the service worker sends to this window. */
export function installBridgeHost(container: ServiceWorkerContainer, options: BridgeHostOptions) {
  container.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as Partial<BridgeRequest> | null;
    if (message?.type === BRIDGE_REQUEST && message.reply)
      void answer(message as BridgeRequest, options);
  });
  // Messages from the worker wait in a queue until the page says it listens.
  container.startMessages();
}

async function answer(request: BridgeRequest, options: BridgeHostOptions): Promise<void> {
  const { reply } = request;
  const abort = new AbortController();
  reply.onmessage = (e: MessageEvent<BridgeAbort>) => {
    if (e.data.type === 'abort') abort.abort(new DOMException(e.data.reason, 'AbortError'));
  };
  const send = (message: BridgeReply, transfer: Transferable[] = []) => {
    reply.postMessage(message, transfer);
    reply.close();
  };
  if (!options.knows(request.deviceId)) {
    send({
      type: 'failure',
      status: 404,
      detail: `This app is not paired with a device whose id is ${request.deviceId}.`,
    });
    return;
  }
  try {
    const response = await options.fetch(request.deviceId, request.path, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: abort.signal,
    });
    const head = {
      type: 'head' as const,
      status: response.status,
      statusText: response.statusText,
      headers: bridgeHeaders(response.headers),
    };
    if (!response.body) {
      send({ ...head, body: null });
      return;
    }
    const channel = new MessageChannel();
    send({ ...head, body: channel.port2 }, [channel.port2]);
    sendStream(response.body, channel.port1);
  } catch (error) {
    if (abort.signal.aborted) return;
    send({ type: 'failure', ...failureOf(error) });
  }
}

/** Devices that are offline or unreachable: the worker's caller may try again later. */
const UNAVAILABLE = new Set([
  'DeviceOfflineError',
  'DeviceUnreachableError',
  'DialTimeoutError',
  'SignalingUnavailableError',
]);

/**
 * A fetch that failed before its head: 504 when the device did not answer in time, 503 when
 * it cannot be reached now, else 502; the detail is the sentence the app shows for it.
 */
function failureOf(error: unknown): { status: number; detail: string } {
  if (!(error instanceof Error)) return { status: 502, detail: String(error) };
  const status =
    error.name === 'PeerFetchTimeoutError' ? 504 : UNAVAILABLE.has(error.name) ? 503 : 502;
  return { status, detail: describeConnectionError(error) };
}
