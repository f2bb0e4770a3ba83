/**
 * The operator's server as docs/DEPLOY.md sets it up, in the internet in a box
 * (test/helpers/internet): on the server host, the signaling server with the settings of
 * deploy/signaling.env behind Caddy running deploy/Caddyfile (certificates from Caddy's own
 * CA in place of Let's Encrypt), and coturn from deploy/turnserver.conf with the secret the
 * signaling server hands out credentials for. The edge at home and Debian's Chromium as the
 * phone know the server by its name and trust that CA, and nothing else: the app loads over
 * https://, its service worker registers, it pairs with the edge over WSS and fetches, at
 * home directly and from cellular through TURN.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchedBrowser } from '../helpers/browser.js';
import { type StartedCaddy, startCaddy } from '../helpers/caddy.js';
import { removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { getFrom, joinRoomFrom } from '../helpers/https-probes.js';
import { homeTrustingCa, resolveNameIn } from '../helpers/https-trust.js';
import { launchBrowserIn } from '../helpers/internet/browser-in-netns.js';
import { type StartedCoturn, startCoturn } from '../helpers/internet/coturn.js';
import { createInternet, type Internet } from '../helpers/internet/internet.js';
import { pairingWindowOf } from '../helpers/pairing.js';
import { ensurePwaBuilt, VIEWPORTS } from '../helpers/pwa.js';
import { sendFromConsole } from '../helpers/pwa-console.js';
import { startSignaling, TEST_ROOM_SECRET } from '../helpers/signaling.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The server's settings as shipped: what /etc/peerfetch/signaling.env starts from. */
const DEPLOY_ENV = join(repoRoot, 'deploy', 'signaling.env');
/** The server's name: app, signaling and TURN, as in the guide. */
const SITE = 'signal.peerfetch.test';
/** The app's default PeerJS key, which the deploy settings leave as it is. */
const PEER_KEY = 'peerjs';
const EDGE_NAME = 'Home Pi';

let internet: Internet;
let caddy: StartedCaddy;
let coturn: StartedCoturn;
let edge: StartedEdge;
let browser: LaunchedBrowser | undefined;
let page: Page;
let deviceId: string;
/** Cleanups in the order they were registered; afterAll runs them backwards. */
const undo: (() => Promise<unknown>)[] = [];

/** The variables deploy/signaling.env sets (empty ones are the secrets left to fill in). */
async function deploySettings(): Promise<Record<string, string>> {
  const text = await readFile(DEPLOY_ENV, 'utf8');
  const entries = text
    .split('\n')
    .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!] as const);
  return Object.fromEntries(entries);
}

beforeAll(async () => {
  const pwaDir = await ensurePwaBuilt();
  internet = await createInternet();
  undo.push(() => internet.destroy());
  const server = internet.plan.server;
  for (const host of ['edge', 'phone'] as const) {
    undo.push(await resolveNameIn(internet.netns(host), SITE, server));
  }
  coturn = await startCoturn(internet);
  undo.push(() => coturn.stop());
  const settings = await deploySettings();
  const signaling = await startSignaling(
    {
      ...settings,
      // What the guide has the operator fill in.
      ROOM_SECRET: TEST_ROOM_SECRET,
      TURN_SECRET: coturn.secret,
      // By address, where the guide has the name: Chromium inside the box fails to look up
      // STUN and TURN host names (error 701, "host lookup received error"), though it
      // resolves the page's own; the edge's libwebrtc resolves them.
      STUN_URLS: coturn.stunUrl,
      TURN_URLS: coturn.turnUrl,
      // The app is built in the checkout, not in /opt.
      PWA_DIR: pwaDir,
      PEER_KEY,
    },
    { netns: internet.netns('server') },
  );
  undo.push(() => signaling.stop());
  caddy = await startCaddy({
    site: SITE,
    upstreamPort: signaling.port,
    netns: internet.netns('server'),
  });
  undo.push(() => caddy.stop());
  edge = await startEdge({
    signalingUrl: caddy.url,
    netns: internet.netns('edge'),
    name: EDGE_NAME,
    env: { PEERFETCH_SIGNALING_KEY: PEER_KEY, NODE_EXTRA_CA_CERTS: caddy.rootCertificate },
  });
  undo.push(async () => {
    await edge.stop();
    await removeStateDir(edge.stateDir);
  });
  const trust = await homeTrustingCa(caddy.rootCertificate);
  undo.push(() => trust.remove());
  // No flag about certificates or insecure origins: the CA in HOME's NSS database is all.
  browser = await launchBrowserIn(internet, 'phone', [], { HOME: trust.home });
  undo.push(() => browser!.close());
  page = await (await browser.browser.newContext({ viewport: VIEWPORTS[0] })).newPage();
});

afterAll(async () => {
  for (const step of undo.splice(0).reverse()) await step().catch(() => {});
});

const getFromPhone = (url: string, ca?: string) => getFrom(internet, 'phone', url, ca);
const joinRoomFromPhone = (forwardedFor?: string) =>
  joinRoomFrom(internet, 'phone', {
    baseUrl: caddy.url,
    ca: caddy.rootCertificate,
    peerKey: PEER_KEY,
    forwardedFor,
  });
/** The room the phone's probe was put in at home, with the edge. */
let homeRoom: string | undefined;

const status = () => page.getByTestId('device-status').first();
const detail = () => page.getByTestId('device-detail').first();
/** "N found" under "On this network" on the Add device screen, once a search has answered. */
const nearbyCount = () => page.getByText(/^\d+ found$/).textContent();

describe("an operator's server with HTTPS and TURN, as deployed", () => {
  it('serves the app over HTTPS with a certificate only its CA vouches for', async () => {
    // The chain is really checked: without the CA the phone's host refuses the server.
    expect((await getFromPhone(`${caddy.url}/healthz`)).error).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    const health = await getFromPhone(`${caddy.url}/healthz`, caddy.rootCertificate);
    expect(health.status).toBe(200);
    // The server's own security headers come through; the proxy does not name itself.
    expect(health.headers?.['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(health.headers?.server).toBeUndefined();
    // Plain HTTP is sent to HTTPS.
    const plain = await getFromPhone(`http://${SITE}/`);
    expect(plain.status).toBe(308);
    expect(plain.headers?.location).toBe(`${caddy.url}/`);

    const response = await page.goto(`${caddy.url}/`);
    expect(response?.status()).toBe(200);
    // Caddy's certificates name the site only in their SAN; the issuer is its own CA.
    expect((await response?.securityDetails())?.issuer).toMatch(/^Caddy Local Authority/);
    const worker = await page.evaluate(
      async () => (await navigator.serviceWorker.ready).active?.scriptURL,
    );
    expect(worker).toBe(`${caddy.url}/sw.js`);
  });

  it('pairs at home over WSS through Caddy, finds the edge in its own room, and fetches', async () => {
    // TRUST_PROXY=loopback and Caddy's X-Forwarded-For: the phone and the edge share the
    // home router's public address, so the server puts them in one room.
    const probe = await joinRoomFromPhone();
    expect(probe.status).toBe(200);
    expect(probe.members?.map((m) => m.name)).toContain(EDGE_NAME);
    homeRoom = probe.room;
    await page.goto(`${caddy.url}/#/add`);
    await expect.poll(nearbyCount, { timeout: 30_000 }).toBe('1 found');
    expect(await page.getByTestId('nearby-device').textContent()).toContain(EDGE_NAME);

    const { code, link } = await pairingWindowOf(edge);
    expect(link).toBe(`${caddy.url}/#/pair?device=${encodeURIComponent(edge.peerId)}&code=${code}`);
    await page.goto(link);
    const confirm = page.getByTestId('pair-submit');
    await expect
      .poll(() => confirm.textContent(), { timeout: 30_000 })
      .toContain(`Pair with ${EDGE_NAME}`);
    await confirm.click();
    await page.waitForURL(/#\/devices\//, { timeout: 45_000 });
    deviceId = decodeURIComponent(page.url().split('#/devices/')[1] ?? '');
    expect(deviceId).toBe(edge.peerId);
    await expect.poll(() => status().textContent(), { timeout: 30_000 }).toBe('Online');
    await expect
      .poll(() => detail().textContent(), { timeout: 30_000 })
      .toMatch(/^Direct on your network/);

    await page.goto(`${caddy.url}/#/devices/${encodeURIComponent(deviceId)}/console`);
    const answer = await sendFromConsole(page, '/api/device');
    expect(answer.status).toMatch(/^200/);
    expect(answer.body).toContain(`"hostname": "${hostname()}"`);
  });

  it('from cellular, sees another room and reaches the edge through coturn', async () => {
    const earlier = new Set(coturn.allocations().map((a) => a.session));
    const since = Date.now();
    await internet.movePhone('cellular');
    // A fresh load on the new network: its address is the carrier's, its room another one.
    await page.goto(`${caddy.url}/#/add`);
    await page.reload();
    await expect.poll(nearbyCount, { timeout: 30_000 }).toBe('0 found');
    // Claiming the home address in X-Forwarded-For gets a stranger nowhere: Caddy sets the
    // header to the address the client came from, and the server believes only Caddy.
    const stranger = await joinRoomFromPhone(internet.plan.networks.home.publicAddress);
    expect(stranger.status).toBe(200);
    expect(stranger.room).not.toBe(homeRoom);
    expect(stranger.members?.map((m) => m.name)).toContain('Probe');
    expect(stranger.members?.map((m) => m.name)).not.toContain(EDGE_NAME);

    await page.goto(`${caddy.url}/#/devices/${encodeURIComponent(deviceId)}`);
    await expect.poll(() => status().textContent(), { timeout: 45_000 }).toBe('Online');
    await expect
      .poll(() => detail().textContent(), { timeout: 30_000 })
      .toMatch(/^Relayed by TURN/);
    await page.goto(`${caddy.url}/#/devices/${encodeURIComponent(deviceId)}/console`);
    const answer = await sendFromConsole(page, '/api/device');
    expect(answer.status).toMatch(/^200/);
    expect(answer.body).toContain(`"hostname": "${hostname()}"`);

    // The edge saw the session arrive through the relay, and coturn accepted the phone's
    // credentials from /ice: they were made with the secret both share.
    const opened = await edge.waitForLog(
      (l) => l.msg === 'session opened' && Number(l.time) >= since,
    );
    expect(opened.path).toBe('relay');
    const phoneId = String(opened.client);
    const made = coturn.allocations().filter((a) => !earlier.has(a.session));
    expect(made.some((a) => a.username.endsWith(`:${phoneId}`))).toBe(true);
  });
});
