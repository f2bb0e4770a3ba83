/**
 * The PWA with a real edge: find it under "Add device", pair with the code the edge logs
 * (a wrong code refused, then the QR link), read its dashboard, media and API console, run
 * the speed test, lose the edge and get it back without touching anything (the key persists
 * on both sides). Screenshots of every device screen at phone and laptop sizes, light and
 * dark. Authentication failures and removal: pwa-device-auth.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchBrowser } from '../helpers/browser.js';
import {
  makeStateDir,
  nextSessionEnd,
  removeStateDir,
  type StartedEdge,
  startEdge,
} from '../helpers/edge.js';
import {
  ensurePwaBuilt,
  type PairingWindowLog,
  pairingWindowOf,
  screenshot,
  screenshotBoth,
  VIEWPORTS,
  writeSampleMedia,
  wrongCode,
} from '../helpers/pwa.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

const EDGE_NAME = 'Kitchen Pi';
/** The app's default PeerJS key is the server's default. */
const KEY = 'peerjs';

let signaling: StartedSignaling;
let edge: StartedEdge;
let stateDir: string;
let mediaDir: string;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
let deviceId: string;
let pairingWindow: PairingWindowLog;

function launchEdge() {
  return startEdge({
    signalingUrl: signaling.url,
    stateDir,
    mediaDir,
    name: EDGE_NAME,
    env: { PEERFETCH_SIGNALING_KEY: KEY },
  });
}

beforeAll(async () => {
  const pwaDir = await ensurePwaBuilt();
  mediaDir = await mkdtemp(join(tmpdir(), 'pf-media-'));
  await writeSampleMedia(mediaDir);
  signaling = await startSignaling({ PWA_DIR: pwaDir, PEER_KEY: KEY });
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
  if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
});

const go = (hash: string) => page.goto(`${signaling.url}/#${hash}`);
const devicePath = (tail = '') => `/devices/${encodeURIComponent(deviceId)}${tail}`;

async function thumbnailWidths(): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLImageElement>('img[data-testid="media-thumb"]')].map((img) =>
      img.complete ? img.naturalWidth : 0,
    ),
  );
}

describe('the PWA with an edge', () => {
  it('lists the edge under "Add device", asks for its code, and refuses a wrong one', async () => {
    await go('/add');
    const entry = page.getByTestId('nearby-device').filter({ hasText: EDGE_NAME });
    await entry.waitFor({ timeout: 30_000 });
    await screenshot(page, 'add-device');
    await entry.getByRole('button', { name: `Add ${EDGE_NAME}` }).click();
    await page.waitForURL(/#\/pair\?/);
    const codeInput = page.getByLabel('Pairing code');
    expect(await codeInput.getAttribute('inputmode')).toBe('numeric');
    expect(await codeInput.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await page.getByTestId('pair-device-name').textContent()).toBe(EDGE_NAME);
    await screenshotBoth(page, 'pair-code');

    // The edge opened its pairing window on first start (nobody paired yet).
    pairingWindow = await pairingWindowOf(edge);
    await codeInput.fill(wrongCode(pairingWindow.code));
    await page.getByTestId('pair-submit').click();
    const failure = page.getByTestId('pair-failure');
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.getAttribute('data-reason')).toBe('wrong-code');
    expect(await failure.textContent()).toMatch(/Check the 6 digits shown on the device/);
    await screenshotBoth(page, 'pair-wrong-code');
    // Nothing was saved.
    await go('/');
    await page.getByText('No devices yet').waitFor();
  });

  it('pairs through the QR link, only once the user confirms', async () => {
    expect(pairingWindow.link).toBe(
      `${signaling.url}/#/pair?device=${encodeURIComponent(edge.peerId)}&code=${pairingWindow.code}`,
    );
    await page.goto(pairingWindow.link);
    await page.getByTestId('pair-from-link').waitFor({ timeout: 20_000 });
    expect(await page.getByLabel('Pairing code').inputValue()).toBe(pairingWindow.code);
    const confirm = page.getByTestId('pair-submit');
    await expect
      .poll(() => confirm.textContent(), { timeout: 20_000 })
      .toContain(`Pair with ${EDGE_NAME}`);
    // Opening the link pairs nothing by itself.
    await page.waitForTimeout(1500);
    expect(page.url()).toContain('#/pair?');
    await screenshotBoth(page, 'pair-link');
    await confirm.click();
    await page.waitForURL(/#\/devices\//, { timeout: 45_000 });
    deviceId = decodeURIComponent(page.url().split('#/devices/')[1] ?? '');
    expect(deviceId).toBe(edge.peerId);
  });

  it("shows the dashboard with this machine's real hostname, the RTT and a direct path", async () => {
    await expect
      .poll(() => page.getByTestId('device-hostname').textContent(), { timeout: 30_000 })
      .toBe(hostname());
    // The first RTT arrives with the session's first pong (pings start after ~5 s of quiet).
    const detail = page.getByTestId('device-detail').first();
    await expect
      .poll(() => detail.textContent(), { timeout: 20_000 })
      .toMatch(/Direct on your network · [\d.]+ ms RTT/);
    await screenshot(page, 'device-dashboard');
    await go('/');
    await expect.poll(() => page.getByTestId('device-status').first().textContent()).toBe('Online');
    await screenshot(page, 'devices');
  });

  it('shows media thumbnails that really decoded, and the full image on tap', async () => {
    await go(devicePath('/media'));
    await expect
      .poll(async () => (await thumbnailWidths()).filter((w) => w > 0).length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(12);
    await screenshot(page, 'media');
    await page.getByTestId('media-tile').first().click();
    const full = page.locator('dialog[data-testid="media-viewer"] img');
    await full.waitFor({ timeout: 30_000 });
    expect(await full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1200);
    expect(await page.getByTestId('media-download').getAttribute('href')).toMatch(
      /^peer-download\//,
    );
    await screenshot(page, 'media-viewer');
    await page.keyboard.press('Escape');
  });

  it('GETs /api/device from the API console', async () => {
    await go(devicePath('/console'));
    await page.getByTestId('console-path').fill('/api/device');
    await page.getByTestId('console-send').click();
    await expect
      .poll(() => page.getByTestId('console-status').textContent(), { timeout: 30_000 })
      .toMatch(/^200/);
    expect(await page.getByTestId('response-body').textContent()).toContain(
      `"hostname": "${hostname()}"`,
    );
    await screenshot(page, 'console');
  });

  it('completes a 10 MiB speed test', async () => {
    await go('/settings');
    await page.getByTestId('speedtest-mib').fill('10');
    await page.getByTestId('speedtest-run').click();
    const result = page.getByTestId('speedtest-result');
    await result.waitFor({ timeout: 90_000 });
    const text = (await result.textContent()) ?? '';
    expect(text).toMatch(/10\.0 MiB in/);
    const rate = Number(/([\d.]+)\s*MiB\/s/.exec(text)?.[1]);
    expect(rate).toBeGreaterThan(0);
    console.log(`speed test: ${text.replace(/\s+/g, ' ')}`);
    await result.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-speed-test');
  });

  it('when the app closes mid-download, the edge ends the session at once, and the app reopens', async () => {
    await go('/settings');
    await page.getByTestId('speedtest-mib').fill('1024');
    await page.getByTestId('speedtest-run').click();
    // Bytes are arriving: the edge is sending when the app goes.
    await page.getByText(/[\d.]+ MiB of 1024 MiB/).waitFor({ timeout: 30_000 });
    const closedAt = Date.now();
    await page.close();
    // The app's GOAWAY on pagehide ends the session cleanly; a page torn down before it goes
    // out still closes its channel. Either way the edge must not wait for its pings to go
    // unanswered (15 s), and a close while it sends can crash @roamhq/wrtc.
    const ended = await nextSessionEnd(edge, closedAt);
    expect(ended.msg).toBe('session closed');
    expect(String(ended.reason ?? '')).not.toMatch(/no frame from the peer/);
    expect(Number(ended.time) - closedAt).toBeLessThan(3_000);
    expect(edge.running()).toBe(true);
    page = await context.newPage();
    await go(devicePath('/console'));
    await page.getByTestId('console-send').click();
    await expect
      .poll(() => page.getByTestId('console-status').textContent(), { timeout: 30_000 })
      .toMatch(/^200/);
  });

  it('pictures every device screen at laptop size and in dark mode', async () => {
    const screens: [string, string][] = [
      ['devices', '/'],
      ['device-dashboard', devicePath()],
      ['media', devicePath('/media')],
      ['console', devicePath('/console')],
      ['settings', '/settings'],
      ['add-device', '/add'],
    ];
    /** Waits until a screen shows what it is for. */
    async function settle(name: string) {
      if (name === 'media')
        await expect
          .poll(async () => (await thumbnailWidths()).filter((w) => w > 0).length, {
            timeout: 30_000,
          })
          .toBeGreaterThan(0);
      if (name === 'device-dashboard')
        await page.getByTestId('device-hostname').waitFor({ timeout: 30_000 });
    }
    await page.setViewportSize(VIEWPORTS[1]);
    for (const [name, hash] of screens) {
      await go(hash);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await settle(name);
      if (name === 'console') {
        await page.getByTestId('console-send').click();
        await page.getByTestId('console-response').waitFor({ timeout: 30_000 });
      }
      await screenshot(page, name);
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const [name, hash] of screens.slice(0, 3)) {
        await go(hash);
        await settle(name);
        await screenshot(page, `${name}-dark`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(VIEWPORTS[0]);
  });

  it('shows the device offline when the edge dies, and reconnects by itself when it is back', async () => {
    await go(devicePath());
    await page.getByTestId('device-hostname').waitFor({ timeout: 30_000 });
    await edge.kill();
    const status = page.getByTestId('device-status').first();
    await expect.poll(() => status.textContent(), { timeout: 40_000 }).toBe('Offline');
    // Offline with a countdown to the next try, or while that try dials.
    expect(await page.getByTestId('device-detail').first().textContent()).toMatch(
      /Retrying in \d+ s|Trying again…/,
    );
    await screenshot(page, 'device-offline');
    edge = await launchEdge();
    await expect.poll(() => status.textContent(), { timeout: 40_000 }).toBe('Online');
    await go(devicePath('/console'));
    await page.getByTestId('console-send').click();
    await expect
      .poll(() => page.getByTestId('console-status').textContent(), { timeout: 30_000 })
      .toMatch(/^200/);
  });
});
