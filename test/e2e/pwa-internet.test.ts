/**
 * The PWA in the internet in a box (test/helpers/internet), with Debian's Chromium running
 * inside the phone's namespace: it pairs with the home edge on home Wi-Fi through the edge's
 * pairing link and reaches it directly, then uses it from cellular (symmetric NAT) through
 * TURN. A phone that leaves home Wi-Fi for cellular in the middle of a
 * download gets the device back by itself within 5 s of the new network being up, and the
 * download completes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchedBrowser } from '../helpers/browser.js';
import { launchBrowserIn } from '../helpers/internet/browser-in-netns.js';
import type { TurnAllocation } from '../helpers/internet/coturn.js';
import { type InternetStack, startInternetStack } from '../helpers/internet/stack.js';
import { pairingWindowOf } from '../helpers/pairing.js';
import { ensurePwaBuilt, screenshot, VIEWPORTS } from '../helpers/pwa.js';
import { sendFromConsole } from '../helpers/pwa-console.js';

/** The app's default PeerJS key: the server and the edge use it, so the app needs no setting. */
const PEER_KEY = 'peerjs';
/** The device's largest media file: what the speed test reads, as byte ranges. */
const BIG_FILE = 'video.bin';
const BIG_MIB = 48;
/** The download through TURN whose bytes coturn must count. */
const RELAYED_MIB = 16;
/** Two reads of the big file: the phone moves in the middle of the first. */
const DOWNLOAD_MIB = 2 * BIG_MIB;
/** The target: the device online again this long after the new network is up. */
const RECOVERY_TARGET_MS = 5_000;
/** What the status pill may say while the app recovers by itself: nothing alarming. */
const RECOVERING_LABELS = ['Online', 'Connecting…'];

let stack: InternetStack;
let mediaDir: string;
let browser: LaunchedBrowser | undefined;
let context: BrowserContext;
let page: Page;
let deviceId: string;

beforeAll(async () => {
  const pwaDir = await ensurePwaBuilt();
  mediaDir = await mkdtemp(join(tmpdir(), 'pf-media-'));
  await writeFile(join(mediaDir, BIG_FILE), randomBytes(BIG_MIB * 1024 * 1024));
  stack = await startInternetStack({
    mediaDir,
    signalingEnv: { PWA_DIR: pwaDir, PEER_KEY },
    edgeEnv: { PEERFETCH_SIGNALING_KEY: PEER_KEY },
  });
  // The app needs a secure context (WebCrypto). A real phone gets one from HTTPS; the box
  // serves plain HTTP on a documentation address, so Chromium treats that origin as secure.
  browser = await launchBrowserIn(stack.internet, 'phone', [
    `--unsafely-treat-insecure-origin-as-secure=${stack.signaling.url}`,
  ]);
  context = await browser.browser.newContext({ viewport: VIEWPORTS[0] });
  await context.addInitScript(recordStatusChanges);
  page = await context.newPage();
});

afterAll(async () => {
  // Chromium first: it runs inside the phone's namespace, which stop() deletes.
  await browser?.close();
  await stack?.stop();
  if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
});

const go = (hash: string) => page.goto(`${stack.signaling.url}/#${hash}`);
const devicePath = (tail = '') => `/devices/${encodeURIComponent(deviceId)}${tail}`;
const status = () => page.getByTestId('device-status').first();
const detail = () => page.getByTestId('device-detail').first();

/** What the first device status pill, its detail line and the signaling banner said, from when. */
interface StatusChange {
  at: number;
  status: string;
  detail: string;
  /** The banner shown when the app cannot reach the signaling server ('' when none). */
  banner: string;
}

/**
 * Runs in the page before the app: notes every change of the first device's status pill,
 * its detail line and the signaling banner, with the time (Date.now: the test's clock too),
 * so nothing the app showed between two polls goes unseen.
 */
function recordStatusChanges() {
  const changes: StatusChange[] = [];
  (window as unknown as { statusChanges: StatusChange[] }).statusChanges = changes;
  let last = '';
  const text = (id: string) =>
    document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '';
  new MutationObserver(() => {
    const change = {
      at: Date.now(),
      status: text('device-status'),
      detail: text('device-detail'),
      banner: text('signaling-banner'),
    };
    const key = `${change.status}|${change.detail}|${change.banner}`;
    if (key === last) return;
    last = key;
    changes.push(change);
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

/** What the status pill said from `since` on (screens without one left out). */
async function statusesSince(since: number): Promise<StatusChange[]> {
  const all = await page.evaluate(
    () => (window as unknown as { statusChanges: StatusChange[] }).statusChanges,
  );
  return all.filter((c) => c.at >= since && c.status !== '');
}

/**
 * Moves the phone to `network`, waits until the app has dropped the old session and is
 * Online again, and resolves with how long that took after the new network was up (when
 * movePhone resolved), and what the pill said meanwhile.
 */
async function movePhoneAndRecover(network: 'home' | 'cellular') {
  const before = Date.now();
  await stack.internet.movePhone(network);
  const up = Date.now();
  let recovered: StatusChange | undefined;
  await expect
    .poll(
      async () => {
        const seen = await statusesSince(before);
        const lost = seen.findIndex((c) => c.status !== 'Online');
        recovered = lost < 0 ? undefined : seen.slice(lost).find((c) => c.status === 'Online');
        return recovered !== undefined;
      },
      { timeout: 45_000, interval: 100 },
    )
    .toBe(true);
  const shown = (await statusesSince(before)).filter((c) => c.at <= recovered!.at);
  const timeline = shown.map((c) => `${c.at - up} ms ${c.status} ${c.detail} ${c.banner}`.trim());
  console.log(
    `to ${network}: online ${recovered!.at - up} ms after the move\n${timeline.join('\n')}`,
  );
  return {
    recoveryMs: recovered!.at - up,
    labels: shown.map((c) => c.status),
    banners: shown.map((c) => c.banner).filter(Boolean),
  };
}

/** The allocations coturn granted after those in `earlier` (an earlier `allocations()`). */
function allocationsSince(earlier: TurnAllocation[]): TurnAllocation[] {
  const old = new Set(earlier.map((a) => a.session));
  return stack.coturn.allocations().filter((a) => !old.has(a.session));
}

/** The edge's 'session opened' line for the first PeerFetch session it opened at or after `since`. */
const sessionOpenedSince = (since: number) =>
  stack.edge.waitForLog((l) => l.msg === 'session opened' && Number(l.time) >= since);

describe('the PWA in the internet in a box', () => {
  it('pairs on home Wi-Fi through the pairing link and reaches the edge directly', async () => {
    const { code, link } = await pairingWindowOf(stack.edge);
    expect(link).toBe(
      `${stack.signaling.url}/#/pair?device=${encodeURIComponent(stack.edge.peerId)}&code=${code}`,
    );
    await page.goto(link);
    await page.getByTestId('pair-from-link').waitFor({ timeout: 30_000 });
    const confirm = page.getByTestId('pair-submit');
    await expect
      .poll(() => confirm.textContent(), { timeout: 30_000 })
      .toContain('Pair with Home Pi');
    await confirm.click();
    await page.waitForURL(/#\/devices\//, { timeout: 45_000 });
    deviceId = decodeURIComponent(page.url().split('#/devices/')[1] ?? '');
    expect(deviceId).toBe(stack.edge.peerId);
    await expect
      .poll(() => page.getByTestId('device-hostname').textContent(), { timeout: 30_000 })
      .toBe(hostname());
    await expect.poll(() => status().textContent(), { timeout: 30_000 }).toBe('Online');
    await expect
      .poll(() => detail().textContent(), { timeout: 30_000 })
      .toMatch(/^Direct on your network/);
  });

  it('uses the home edge from cellular (symmetric NAT) through TURN, end to end', async () => {
    const earlier = stack.coturn.allocations();
    const since = Date.now();
    const { labels, banners } = await movePhoneAndRecover('cellular');
    expect(new Set(labels)).toEqual(new Set(RECOVERING_LABELS));
    expect(banners).toEqual([]);
    // The first RTT comes with the session's first pong or ICE's consent checks.
    await expect
      .poll(() => detail().textContent(), { timeout: 20_000 })
      .toMatch(/^Relayed by TURN · [\d.]+ ms RTT/);
    expect(await status().textContent()).toBe('Online');
    await screenshot(page, 'internet-relayed-dashboard');

    await go(devicePath('/console'));
    const answer = await sendFromConsole(page, '/api/device');
    expect(answer.status).toMatch(/^200/);
    expect(answer.body).toContain(`"hostname": "${hostname()}"`);
    expect(await detail().textContent()).toMatch(/^Relayed by TURN/);
    await screenshot(page, 'internet-relayed-console');

    // The edge saw this phone's new session arrive through the relay too.
    const opened = await sessionOpenedSince(since);
    expect(opened.path).toBe('relay');
    const phoneId = String(opened.client);
    expect(phoneId).toMatch(/^app-/);

    // coturn logs what an allocation relayed every 4096 packets (and when it ends): a
    // download through the relay shows in its counts while the session lives, all but the
    // last few thousand packets.
    await go('/settings');
    await page.getByTestId('speedtest-mib').fill(String(RELAYED_MIB));
    await page.getByTestId('speedtest-run').click();
    const result = page.getByTestId('speedtest-result');
    await result.waitFor({ timeout: 60_000 });
    console.log(`speed test through TURN: ${(await result.textContent())?.replace(/\s+/g, ' ')}`);
    const made = () => allocationsSince(earlier);
    expect(made().some((a) => a.username.endsWith(`:${phoneId}`))).toBe(true);
    const relayed = () => made().reduce((sum, a) => sum + a.peerBytes, 0);
    try {
      await expect
        .poll(relayed, { timeout: 20_000 })
        .toBeGreaterThan((RELAYED_MIB * 1024 * 1024) / 2);
    } finally {
      console.log(`coturn relayed ${relayed()} bytes: ${JSON.stringify(made())}`);
    }
  });

  it('survives leaving home Wi-Fi for cellular in the middle of a download', async () => {
    await stack.internet.movePhone('home');
    await go(devicePath());
    await expect
      .poll(() => detail().textContent(), { timeout: 45_000 })
      .toMatch(/^Direct on your network/);

    await go('/settings');
    await page.getByTestId('speedtest-mib').fill(String(DOWNLOAD_MIB));
    await page.getByTestId('speedtest-run').click();
    const progress = page.getByText(new RegExp(`[\\d.]+ MiB of ${DOWNLOAD_MIB} MiB`));
    const mibSoFar = async () =>
      Number(/([\d.]+) MiB of/.exec((await progress.textContent()) ?? '')?.[1]);
    await expect.poll(mibSoFar, { timeout: 30_000, interval: 50 }).toBeGreaterThan(8);
    // The move comes in the middle of the first read: its body is cut off.
    expect(await mibSoFar()).toBeLessThan(BIG_MIB);
    const since = Date.now();
    const { recoveryMs, labels, banners } = await movePhoneAndRecover('cellular');
    expect(await page.getByTestId('speedtest-result').count()).toBe(0);

    const result = page.getByTestId('speedtest-result');
    await result.waitFor({ timeout: 90_000 });
    const text = (await result.textContent()) ?? '';
    console.log(`speed test across the move: ${text.replace(/\s+/g, ' ')}`);
    expect(text).toMatch(new RegExp(`${DOWNLOAD_MIB}\\.0 MiB in`));
    expect(await page.getByRole('alert').count()).toBe(0);
    await result.scrollIntoViewIfNeeded();
    await screenshot(page, 'internet-network-change-speed-test');

    // Back by itself, within the target, saying nothing worse than "Connecting…".
    expect(new Set(labels)).toEqual(new Set(RECOVERING_LABELS));
    expect(banners).toEqual([]);
    expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_TARGET_MS);
    // …now through TURN, as the edge saw it too.
    expect((await sessionOpenedSince(since)).path).toBe('relay');
    await go(devicePath());
    await expect
      .poll(() => detail().textContent(), { timeout: 20_000 })
      .toMatch(/^Relayed by TURN/);
  });
});
