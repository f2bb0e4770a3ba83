/**
 * Two stock PeerJS clients find each other through /rooms (with the shared rooms API)
 * and open a reliable DataConnection through this server.
 */
import { createRoomsApi, RoomsApiError } from '@peerfetch/shared';
import type { DataConnection } from 'peerjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePeer, type OpenNodePeer, waitForOpen } from '../helpers/peerjs-node.js';
import { httpRequest, type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let server: StartedSignaling;
const peers: OpenNodePeer[] = [];

beforeAll(async () => {
  server = await startSignaling();
});
afterAll(async () => {
  for (const { peer } of peers) peer.destroy();
  await server.stop();
});

const metricValue = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);

describe('two stock PeerJS clients', () => {
  it('find each other through /rooms and exchange messages over a DataConnection', async () => {
    const rooms = createRoomsApi({ baseUrl: server.url });
    const edge = await createNodePeer({ port: server.port });
    const app = await createNodePeer({ port: server.port });
    peers.push(edge, app);

    await rooms.join({ id: edge.id, token: edge.token, role: 'edge', name: 'Test edge' });
    const listing = await rooms.join({
      id: app.id,
      token: app.token,
      role: 'app',
      name: 'Test phone',
    });
    const found = listing.members.find((member) => member.role === 'edge');
    expect(found).toMatchObject({ id: edge.id, name: 'Test edge' });

    const health = await httpRequest(`${server.url}/healthz`);
    expect(health.json).toEqual({ status: 'ok', peers: 2, rooms: 1 });
    const offersBefore = metricValue(
      (await httpRequest(`${server.url}/metrics`)).text,
      'peerfetch_signaling_offers_relayed_total',
    );

    const incoming = new Promise<DataConnection>((resolve) =>
      edge.peer.once('connection', resolve),
    );
    const outgoing = app.peer.connect(found!.id, { reliable: true, serialization: 'binary' });
    const accepted = await incoming;
    await Promise.all([waitForOpen(outgoing), waitForOpen(accepted)]);
    expect(accepted.peer).toBe(app.id);

    const echoed = new Promise<unknown>((resolve) => outgoing.once('data', resolve));
    accepted.on('data', (data) => accepted.send({ echo: data }));
    outgoing.send('hello through the signaling server');
    expect(await echoed).toEqual({ echo: 'hello through the signaling server' });

    const metrics = (await httpRequest(`${server.url}/metrics`)).text;
    expect(metricValue(metrics, 'peerfetch_signaling_offers_relayed_total')).toBe(offersBefore + 1);
    expect(metricValue(metrics, 'peerfetch_signaling_joins_total')).toBe(2);
    expect(metricValue(metrics, 'peerfetch_signaling_peers')).toBe(2);
    expect(metricValue(metrics, 'peerfetch_signaling_rooms')).toBe(1);
  });

  it('the shared rooms client reports refusals as RoomsApiError', async () => {
    const rooms = createRoomsApi({ baseUrl: server.url });
    const error = await rooms.members({ id: 'nobody', token: 'nothing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoomsApiError);
    expect(error).toMatchObject({ status: 401, problem: { status: 401, title: 'Unauthorized' } });
  });
});
