/**
 * A phone on the LAN opens the app at a plain-HTTP address that is not localhost: no secure
 * context, so no WebCrypto. The app must say how to open it instead of failing. The test
 * gives its own loopback-only namespace a LAN-like address (TEST-NET-1) to serve it from.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedPersistentContext, launchPersistentContext } from '../helpers/browser.js';
import { ensurePwaBuilt, screenshot, VIEWPORTS } from '../helpers/pwa.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

const LAN_ADDRESS = '192.0.2.10';
const ip = (...args: string[]) => promisify(execFile)('ip', args);

let signaling: StartedSignaling | undefined;
let browser: LaunchedPersistentContext | undefined;
let page: Page;

beforeAll(async () => {
  // Only inside the namespace test/run-in-netns.sh made for this run: never on the host.
  if (process.env.PEERFETCH_IN_NETNS !== '1') throw new Error('run inside test/run-in-netns.sh');
  await ip('addr', 'add', `${LAN_ADDRESS}/32`, 'dev', 'lo');
  signaling = await startSignaling({
    HOST: LAN_ADDRESS,
    PWA_DIR: await ensurePwaBuilt(),
    PEER_KEY: 'peerjs',
  });
  browser = await launchPersistentContext();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
});

afterAll(async () => {
  await browser?.close();
  await signaling?.stop();
  await ip('addr', 'del', `${LAN_ADDRESS}/32`, 'dev', 'lo').catch(() => {});
});

describe('the PWA at a plain-HTTP LAN address', () => {
  it('says how to open it (HTTPS, or localhost) instead of failing', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const url = signaling!.url;
    expect(url).toMatch(new RegExp(`^http://${LAN_ADDRESS.replaceAll('.', '\\.')}:\\d+$`));
    await page.goto(`${url}/`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    const help = page.getByTestId('insecure');
    await help.waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Open PeerFetch over HTTPS',
    );
    expect(await page.title()).toBe('Open PeerFetch over HTTPS');
    const port = new URL(url).port;
    const links = await help
      .getByRole('link')
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links).toEqual([`https://${LAN_ADDRESS}:${port}/`, `http://localhost:${port}/`]);
    expect(await page.textContent('body')).not.toMatch(/could not start|randomUUID/);
    expect(errors).toEqual([]);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        viewport.width,
      );
      await screenshot(page, 'insecure-context');
    }
  });
});
