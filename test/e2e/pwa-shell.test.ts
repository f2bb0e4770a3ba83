/**
 * The PWA on its own (no edge yet): installable, works offline after one visit, and every
 * screen that needs no device, pictured at phone and laptop sizes.
 */
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedPersistentContext, launchPersistentContext } from '../helpers/browser.js';
import { ensurePwaBuilt, screenshot, VIEWPORTS } from '../helpers/pwa.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let browser: LaunchedPersistentContext;
let page: Page;
/** A copy of the build, so a test can publish a "new release" without touching pwa/dist. */
let pwaDir: string;

beforeAll(async () => {
  pwaDir = await mkdtemp(join(tmpdir(), 'pf-pwa-'));
  await cp(await ensurePwaBuilt(), pwaDir, { recursive: true });
  // The app's default PeerJS key is the server's default, "peerjs".
  signaling = await startSignaling({ PWA_DIR: pwaDir, PEER_KEY: 'peerjs' });
  browser = await launchPersistentContext();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
});

afterAll(async () => {
  await browser?.close();
  await signaling?.stop();
  if (pwaDir) await rm(pwaDir, { recursive: true, force: true });
});

async function openApp(hash = '#/') {
  await page.goto(`${signaling.url}/${hash}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

describe('the PWA shell', () => {
  it('gives each screen its own title', async () => {
    const titles: Record<string, string> = {
      '#/': 'Devices · PeerFetch',
      '#/add': 'Add device · PeerFetch',
      '#/media': 'Media · PeerFetch',
      '#/console': 'API console · PeerFetch',
      '#/settings': 'Settings · PeerFetch',
    };
    for (const [hash, title] of Object.entries(titles)) {
      await openApp(hash);
      await expect.poll(() => page.title()).toBe(title);
    }
  });

  it('serves a web app manifest fit for installing, with icons that decode', async () => {
    await openApp();
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBeTruthy();
    const manifest = (await (await fetch(new URL(href!, `${signaling.url}/`))).json()) as {
      name: string;
      short_name: string;
      display: string;
      theme_color: string;
      background_color: string;
      icons: { src: string; sizes: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({
      name: 'PeerFetch',
      short_name: 'PeerFetch',
      display: 'standalone',
    });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(
      manifest.icons.map((i) => `${i.sizes}${i.purpose ? ` ${i.purpose}` : ''}`).sort(),
    ).toEqual(['192x192', '512x512', '512x512 maskable']);
    const sizes = await page.evaluate(
      async (icons) => {
        return Promise.all(
          icons.map(
            (src) =>
              new Promise<string>((resolve) => {
                const img = new Image();
                img.onload = () => resolve(`${img.naturalWidth}x${img.naturalHeight}`);
                img.onerror = () => resolve('broken');
                img.src = src;
              }),
          ),
        );
      },
      manifest.icons.map((i) => i.src),
    );
    expect(sizes).toEqual(manifest.icons.map((i) => i.sizes));
  });

  it('registers a service worker that takes control, and Chrome finds nothing stopping installation', async () => {
    await openApp();
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${signaling.url}/`);
    // The first load is not controlled until the worker claims it; a reload always is.
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    const cdp = await browser.context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    expect(installabilityErrors).toEqual([]);
    await cdp.detach();
  });

  it('registers with the signaling server and looks for devices on this network', async () => {
    await openApp('#/add');
    await expect
      .poll(() => page.getByText('No devices found yet').isVisible(), { timeout: 20_000 })
      .toBe(true);
    await expect.poll(() => page.getByTestId('signaling-banner').count()).toBe(0);
  });

  it('pictures every screen that needs no device, at phone and laptop sizes', async () => {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await openApp('#/');
      await page.getByText('No devices yet').waitFor();
      await screenshot(page, 'devices-empty');
      await openApp('#/add');
      await page.getByText('No devices found yet').waitFor({ timeout: 20_000 });
      await screenshot(page, 'add-device-none-found');
      await openApp('#/settings');
      await page.getByTestId('app-version').waitFor();
      await expect
        .poll(() => page.getByText(/Connected to 127\.0\.0\.1/).isVisible(), { timeout: 20_000 })
        .toBe(true);
      await screenshot(page, 'settings');
    }
    await page.setViewportSize(VIEWPORTS[0]);
  });

  it('offers "new version, reload" when an update waits, and reloads into it', async () => {
    await openApp();
    await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state);
    // A new release: any byte of the service worker script changed.
    await appendFile(join(pwaDir, 'sw.js'), '\n// next release\n');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    const prompt = page.getByTestId('update-prompt');
    await expect.poll(() => prompt.textContent(), { timeout: 20_000 }).toMatch(/new version/);
    await screenshot(page, 'update-prompt');
    const reloaded = page.waitForEvent('load');
    await prompt.getByRole('button', { name: 'Reload' }).click();
    await reloaded;
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    const waiting = await page.evaluate(
      async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null,
    );
    expect(waiting).toBeNull();
    expect(await prompt.count()).toBe(0);
  });

  it('still opens after one visit with the server stopped, and says what is wrong', async () => {
    await openApp();
    await signaling.stop();
    await page.reload();
    // No server: everything below came from the service worker's precache.
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.getByTestId('signaling-banner').isVisible(), { timeout: 20_000 })
      .toBe(true);
    expect(await page.getByTestId('signaling-banner').textContent()).toMatch(
      /Cannot reach the signaling server/,
    );
    await screenshot(page, 'offline-shell');
  });
});
