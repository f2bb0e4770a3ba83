/**
 * A real web app through the tunnel: Node-RED 4 behind the built edge, reached from a paired
 * Node client over real WebRTC. Its editor's `/comms` WebSocket connects and hears the
 * runtime; a flow deployed through its admin API answers on its `http in` endpoint.
 */
import type { PeerWebSocket } from '@peerfetch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type StartedNodeRed, startNodeRed } from '../helpers/node-red.js';
import { type ClientSession, pairedSession } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let nodeRed: StartedNodeRed;
let edge: StartedEdge;
let client: ClientSession;

beforeAll(async () => {
  signaling = await startSignaling();
  nodeRed = await startNodeRed();
  edge = await startEdge({ signalingUrl: signaling.url, routes: { '/red': nodeRed.url } });
  client = await pairedSession(signaling.port, edge);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await nodeRed?.stop();
  await signaling?.stop();
});

interface CommsMessage {
  topic: string;
  data: unknown;
}

/** Resolves with the first comms message whose topic matches. */
function commsMessage(socket: PeerWebSocket, topic: RegExp): Promise<CommsMessage> {
  return new Promise((resolve) => {
    const listener = (event: Event) => {
      const batch = JSON.parse((event as MessageEvent).data as string) as CommsMessage[];
      const found = batch.find((m) => topic.test(m.topic));
      if (!found) return;
      socket.removeEventListener('message', listener);
      resolve(found);
    };
    socket.addEventListener('message', listener);
  });
}

const FLOW = [
  { id: 'tab1', type: 'tab', label: 'tunnel test' },
  { id: 'in1', type: 'http in', z: 'tab1', url: '/hello', method: 'get', wires: [['fn1']] },
  {
    id: 'fn1',
    type: 'function',
    z: 'tab1',
    func: 'msg.payload = { hello: msg.req.query.name ?? "world", from: "node-red" }; return msg;',
    outputs: 1,
    wires: [['out1']],
  },
  { id: 'out1', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] },
];

describe('Node-RED through the tunnel', () => {
  it('its /comms WebSocket hears the runtime, and a deployed flow answers through the tunnel', async () => {
    const editor = await client.fetch('/red/');
    expect(editor.status).toBe(200);
    expect(await editor.text()).toContain('Node-RED');

    const comms = client.session.openWebSocket('/red/comms', {
      headers: [['origin', 'https://phone.example']],
    });
    await new Promise((resolve, reject) => {
      comms.onopen = resolve;
      comms.onclose = (e) => reject(new Error(`comms did not open: ${(e as CloseEvent).reason}`));
    });
    comms.onclose = null;
    comms.send(JSON.stringify({ subscribe: 'notification/#' }));
    const heartbeat = await commsMessage(comms, /^hb$/);
    expect(typeof heartbeat.data).toBe('number');

    const deployed = commsMessage(comms, /^notification\/runtime-deploy$/);
    const deploy = await client.fetch('/red/flows', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify(FLOW),
    });
    expect(deploy.status).toBe(204);
    expect(((await deployed).data as { revision?: string }).revision).toBeTruthy();

    const hello = await client.fetch('/red/hello?name=tunnel');
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ hello: 'tunnel', from: 'node-red' });

    const closed = new Promise<number>((resolve) => {
      comms.onclose = (e) => resolve((e as CloseEvent).code);
    });
    comms.close(1000);
    expect(await closed).toBe(1000);
  });
});
