/**
 * The PWA's pairing and session authentication over real WebRTC, against an edge in this
 * process: a stock PeerJS peer (Node, @roamhq/wrtc) running `shared`'s real
 * `edgeAuthenticator` with a pairing window of the test's own. It shows what the app does
 * with each answer, independent of the edge agent: a wrong code, the QR link (confirmed, never
 * silent), an impostor under the edge's id that cannot prove the key (nothing is sent, no
 * retry by itself), and removal telling the edge to forget the phone.
 */
import { holdMessages } from '@peerfetch/edge';
import {
  channelBinding,
  createRoomsApi,
  type DataChannelLike,
  edgeAuthenticator,
  importPairingKey,
  openSession,
  serveRequests,
} from '@peerfetch/shared';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchBrowser } from '../helpers/browser.js';
import { createNodePeer, type Peer, randomPeerId } from '../helpers/peerjs-node.js';
import { ensurePwaBuilt, screenshotBoth, VIEWPORTS, wrongCode } from '../helpers/pwa.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

const KEY = 'peerjs';
const EDGE_NAME = 'Attic NAS';
const EDGE_ID = randomPeerId('edge');
/** The server reserves EDGE_ID for the token that first registered it: every test edge uses it. */
const EDGE_TOKEN = 'e2e-edge-token-0123456789abcdef';
const CODE = '384615';

/** An edge in this process: who is paired, what reached its handler, how often it was dialled. */
interface TestEdge {
  clients: Map<string, Uint8Array>;
  requests: string[];
  connections: number;
  stop(): void;
}

async function startTestEdge(
  signalingPort: number,
  options: { code?: string; clients?: Map<string, Uint8Array> },
): Promise<TestEdge> {
  // With EDGE_TOKEN the id is taken over at once from a peer that just left; the retries
  // only cover a registration that fails for another reason.
  let opened: Awaited<ReturnType<typeof createNodePeer>> | undefined;
  for (let i = 0; !opened; i++) {
    opened = await createNodePeer({
      port: signalingPort,
      id: EDGE_ID,
      token: EDGE_TOKEN,
      key: KEY,
    }).catch(async (error: unknown) => {
      if (i >= 20) throw error;
      await new Promise((r) => setTimeout(r, 250));
      return undefined;
    });
  }
  const peer: Peer = opened.peer;
  peer.on('error', () => {});
  const edge: TestEdge = {
    clients: options.clients ?? new Map(),
    requests: [],
    connections: 0,
    stop: () => peer.destroy(),
  };
  let windowOpen = options.code !== undefined;
  let attempts = 0;
  await createRoomsApi({ baseUrl: `http://127.0.0.1:${signalingPort}` }).join({
    id: opened.id,
    token: opened.token,
    role: 'edge',
    name: EDGE_NAME,
  });
  peer.on('connection', (connection) => {
    edge.connections += 1;
    // Hold the channel's messages from the moment it exists (wrtc may deliver before 'open').
    let held: ReturnType<typeof holdMessages> | undefined;
    if (connection.dataChannel) held = holdMessages(connection.dataChannel as DataChannelLike);
    else
      connection.peerConnection.addEventListener('datachannel', (event) => {
        held ??= holdMessages(event.channel as unknown as DataChannelLike);
      });
    connection.on('open', () => {
      const pc = connection.peerConnection;
      const binding = channelBinding('server', {
        localId: EDGE_ID,
        remoteId: connection.peer,
        localSdp: pc.localDescription?.sdp ?? '',
        remoteSdp: pc.remoteDescription?.sdp ?? '',
      });
      const session = openSession(held ?? (connection.dataChannel as DataChannelLike), {
        role: 'server',
        maxMessageSize: 65536,
        authenticate: edgeAuthenticator({
          binding,
          edgeName: EDGE_NAME,
          findClientKey: async (id) => {
            const raw = edge.clients.get(id);
            return raw && importPairingKey(raw.slice());
          },
          pairing: {
            beginAttempt: () => (windowOpen && attempts++ < 5 ? options.code : undefined),
            complete: async (client) => {
              edge.clients.set(client.id, client.key.slice());
              windowOpen = false;
            },
          },
        }),
      });
      serveRequests(session, async (request) => {
        const path = new URL(request.url).pathname;
        edge.requests.push(`${request.method} ${path}`);
        if (request.method === 'DELETE' && path === '/.well-known/peerfetch/pairing') {
          edge.clients.delete(connection.peer);
          return new Response(null, { status: 204 });
        }
        return Response.json({ hostname: 'attic-nas', platform: 'linux' });
      });
      held?.release();
      connection.on('close', () => session.close());
    });
  });
  return edge;
}

let signaling: StartedSignaling;
let edge: TestEdge;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  signaling = await startSignaling({ PWA_DIR: await ensurePwaBuilt(), PEER_KEY: KEY });
  edge = await startTestEdge(signaling.port, { code: CODE });
  browser = await launchBrowser();
  context = await browser.browser.newContext({ viewport: VIEWPORTS[0] });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  edge?.stop();
  await signaling?.stop();
});

const pairLink = `/#/pair?device=${encodeURIComponent(EDGE_ID)}&code=${CODE}`;

describe('pairing the PWA (in-process edge, real WebRTC)', () => {
  it('refuses a wrong code, saying to check the digits, and saves nothing', async () => {
    await page.goto(`${signaling.url}/#/pair?device=${encodeURIComponent(EDGE_ID)}`);
    await page.getByLabel('Pairing code').fill(wrongCode(CODE));
    await page.getByTestId('pair-submit').click();
    const failure = page.getByTestId('pair-failure');
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.getAttribute('data-reason')).toBe('wrong-code');
    expect(await failure.textContent()).toMatch(/Check the 6 digits shown on the device/);
    // The code field is cleared for the next try.
    expect(await page.getByLabel('Pairing code').inputValue()).toBe('');
    await screenshotBoth(page, 'pairing-wrong-code');
    expect(edge.clients.size).toBe(0);
    expect(edge.requests).toEqual([]);
  });

  it('fills the code from the QR link and pairs only on confirmation', async () => {
    await page.goto(`${signaling.url}${pairLink}`);
    await page.getByTestId('pair-from-link').waitFor({ timeout: 20_000 });
    expect(await page.getByLabel('Pairing code').inputValue()).toBe(CODE);
    // The name comes from the local room, where the edge announced itself.
    await expect
      .poll(() => page.getByTestId('pair-device-name').textContent(), { timeout: 20_000 })
      .toBe(EDGE_NAME);
    await page.waitForTimeout(1500);
    expect(edge.clients.size).toBe(0);
    await screenshotBoth(page, 'pairing-link');
    await page.getByTestId('pair-submit').click();
    await page.waitForURL(/#\/devices\//, { timeout: 45_000 });
    expect(edge.clients.size).toBe(1);
    await expect
      .poll(() => page.getByTestId('device-status').first().textContent(), { timeout: 30_000 })
      .toBe('Online');
    await expect.poll(() => edge.requests, { timeout: 30_000 }).toContain('GET /api/device');
  });

  it('refuses an impostor under the edge id: "not verified", no request, no retry by itself', async () => {
    const realClients = edge.clients;
    edge.stop();
    // Someone else holds the edge's id (a hostile signaling server can hand it to anyone;
    // here it borrows the edge's token, the only way past this server's reservation). It
    // knows the phone's id but not the key.
    const forged = new Map([...realClients.keys()].map((id) => [id, new Uint8Array(32).fill(7)]));
    const impostor = await startTestEdge(signaling.port, { clients: forged });
    const problem = page.getByTestId('auth-problem').first();
    await problem.waitFor({ timeout: 60_000 });
    expect(await problem.getAttribute('data-reason')).toBe('device-not-verified');
    expect(await problem.textContent()).toMatch(/Nothing was sent\./);
    await page.waitForTimeout(8000);
    expect(impostor.requests).toEqual([]);
    expect(impostor.connections).toBe(1);
    await screenshotBoth(page, 'pairing-impostor-not-verified');

    // The real edge is back: the user asks to try again and it proves itself.
    impostor.stop();
    edge = await startTestEdge(signaling.port, { clients: realClients });
    await page.getByTestId('auth-retry').first().click();
    await expect
      .poll(() => page.getByTestId('device-status').first().textContent(), { timeout: 30_000 })
      .toBe('Online');
  });

  it('keeps the key across a reload (stored non-extractable) and authenticates with it', async () => {
    await page.reload();
    await expect
      .poll(() => page.getByTestId('device-status').first().textContent(), { timeout: 30_000 })
      .toBe('Online');
    const extractable = await page.evaluate(
      () =>
        new Promise<boolean>((resolve, reject) => {
          const request = indexedDB.open('peerfetch');
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const get = request.result.transaction('devices').objectStore('devices').getAll();
            get.onsuccess = () => resolve((get.result[0].key as CryptoKey).extractable);
          };
        }),
    );
    expect(extractable).toBe(false);
  });

  it('removes the device, telling the online edge to forget this phone', async () => {
    await page.goto(`${signaling.url}/#/settings`);
    await page.getByTestId('remove-device').click();
    await page.getByTestId('remove-confirm').click();
    await expect
      .poll(() => page.getByTestId('remove-outcome').textContent(), { timeout: 30_000 })
      .toContain('no longer knows this computer');
    expect(edge.requests).toContain('DELETE /.well-known/peerfetch/pairing');
    expect(edge.clients.size).toBe(0);
  });
});
