/**
 * The PWA's authentication failures and device removal with a real edge: pairing through
 * the QR link the edge logs, a device that cannot prove the key ("not verified", nothing
 * sent, no retry by itself), pairing refused once the window has closed, removal while the
 * edge is offline (it still lists the phone, as the app says) and while it is online (it is
 * told to forget the phone). `peerfetch-edge pair` and `clients` run through the control
 * socket. Screenshots of the new screens at phone and laptop sizes.
 */
import { hostname } from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchBrowser } from '../helpers/browser.js';
import {
  makeStateDir,
  removeStateDir,
  runEdgeCli,
  type StartedEdge,
  startEdge,
} from '../helpers/edge.js';
import {
  ensurePwaBuilt,
  pairingWindowOf,
  screenshot,
  screenshotBoth,
  swapDeviceKey,
  VIEWPORTS,
} from '../helpers/pwa.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

const EDGE_NAME = 'Hallway Pi';
const KEY = 'peerjs';

let signaling: StartedSignaling;
let edge: StartedEdge;
let stateDir: string;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
let deviceId: string;

const launchEdge = () =>
  startEdge({
    signalingUrl: signaling.url,
    stateDir,
    name: EDGE_NAME,
    env: { PEERFETCH_SIGNALING_KEY: KEY },
  });

/** Runs `peerfetch-edge <args> --json` against the running edge; it must succeed. */
async function edgeCli(...args: string[]): Promise<unknown> {
  const result = await runEdgeCli(edge, [...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.toString());
}

const pairedClients = async () => (await edgeCli('clients')) as Array<{ id: string; name: string }>;

beforeAll(async () => {
  signaling = await startSignaling({ PWA_DIR: await ensurePwaBuilt(), PEER_KEY: KEY });
  stateDir = await makeStateDir();
  edge = await launchEdge();
  browser = await launchBrowser();
  context = await browser.browser.newContext({ viewport: VIEWPORTS[0] });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await edge?.stop();
  await signaling?.stop();
  if (stateDir) await removeStateDir(stateDir);
});

const go = (hash: string) => page.goto(`${signaling.url}/#${hash}`);
const devicePath = () => `/devices/${encodeURIComponent(deviceId)}`;

/** Opens the link this edge process logged for its pairing window, and confirms it. */
async function pairThroughLink() {
  const { link } = await pairingWindowOf(edge);
  await page.goto(link);
  await page.getByTestId('pair-from-link').waitFor({ timeout: 20_000 });
  await page.getByTestId('pair-submit').click();
  await page.waitForURL(/#\/devices\//, { timeout: 45_000 });
  deviceId = decodeURIComponent(page.url().split('#/devices/')[1] ?? '');
  await expect
    .poll(() => page.getByTestId('device-hostname').textContent(), { timeout: 30_000 })
    .toBe(hostname());
}

async function removeInSettings(): Promise<string> {
  await go('/settings');
  await page.getByTestId('remove-device').click();
  await page.getByTestId('remove-confirm').click();
  const outcome = page.getByTestId('remove-outcome');
  await outcome.waitFor({ timeout: 30_000 });
  return (await outcome.textContent()) ?? '';
}

describe('authentication failures and removal (real edge)', () => {
  it('pairs through the QR link the edge logs', async () => {
    await pairThroughLink();
    expect(deviceId).toBe(edge.peerId);
    expect((await pairedClients()).map((c) => c.name)).toEqual(['Chrome on Linux']);
  });

  it('refuses a device that cannot prove the pairing key, and sends it nothing', async () => {
    await swapDeviceKey(page, deviceId, 'random');
    await go(devicePath());
    await page.reload();
    const problem = page.getByTestId('auth-problem').first();
    await problem.waitFor({ timeout: 30_000 });
    expect(await problem.getAttribute('data-reason')).toBe('device-not-verified');
    expect(await problem.textContent()).toMatch(
      /could not be verified\.\s*Someone else may be answering under its name\. Nothing was sent\./,
    );
    const status = page.getByTestId('device-status').first();
    expect(await status.textContent()).toBe('Not verified');
    expect(await page.getByTestId('device-hostname').count()).toBe(0);
    // Nothing retries into the device by itself: the edge sees no further attempt.
    const failedAt = edge.logs.length;
    await page.waitForTimeout(6000);
    expect(await status.textContent()).toBe('Not verified');
    expect(edge.logs.slice(failedAt).filter((l) => l.msg === 'session opened')).toEqual([]);
    await screenshotBoth(page, 'device-not-verified');
    await go('/');
    await page.getByTestId('auth-problem').first().waitFor();
    await screenshotBoth(page, 'devices-not-verified');

    // The real key back: "Try again" after a reload proves it.
    await swapDeviceKey(page, deviceId, 'real');
    await go(devicePath());
    await page.reload();
    await expect
      .poll(() => page.getByTestId('device-hostname').textContent(), { timeout: 30_000 })
      .toBe(hostname());
  });

  it('says how to reopen pairing once the window has closed, keeping the pairing', async () => {
    await go(`/pair?device=${encodeURIComponent(deviceId)}`);
    await page.getByLabel('Pairing code').fill('123456');
    await page.getByTestId('pair-submit').click();
    const failure = page.getByTestId('pair-failure');
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.getAttribute('data-reason')).toBe('pairing-closed');
    expect(await failure.textContent()).toMatch(/peerfetch-edge pair/);
    await screenshotBoth(page, 'pair-closed');
    await go(devicePath());
    await expect
      .poll(() => page.getByTestId('device-hostname').textContent(), { timeout: 30_000 })
      .toBe(hostname());
  });

  it('removes an offline device locally, saying the edge still lists this phone', async () => {
    await edge.kill();
    await go(devicePath());
    await expect
      .poll(() => page.getByTestId('device-status').first().textContent(), { timeout: 40_000 })
      .toBe('Offline');
    const text = await removeInSettings();
    expect(text).toMatch(/removed from this computer\. It could not be told \(it is offline\)/);
    expect(text).toContain('peerfetch-edge unpair app-');
    await screenshotBoth(page, 'settings-removed-offline');
    edge = await launchEdge();
    expect((await pairedClients()).map((c) => c.name)).toEqual(['Chrome on Linux']);
  });

  it('removes an online device after telling it to forget this phone', async () => {
    // Paired again: `peerfetch-edge pair` opens a new window (the first start's was used).
    await edgeCli('pair');
    await pairThroughLink();
    const text = await removeInSettings();
    expect(text).toContain(`${EDGE_NAME} was removed, and it no longer knows this computer.`);
    const forgotten = await edge.waitForLog((l) => l.msg === 'client asked to be forgotten');
    expect(forgotten.clientName).toBe('Chrome on Linux');
    expect(await pairedClients()).toEqual([]);
    await screenshot(page, 'settings-removed');
    await go('/');
    await page.getByText('No devices yet').waitFor();
  });
});
