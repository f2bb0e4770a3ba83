/**
 * The PWA says what is true when things break, driven by the real timers (the session's
 * pings and dead interval, the device connection's retries) against real processes:
 * - a hung edge (SIGSTOP: the signaling server still lists it) shows offline within 10 s,
 *   and stays offline while it is dialled again, never "Connecting…" beside "offline"; an
 *   app opened while it hangs says "Connecting…" only until the dial times out, offline
 *   within 10 s of opening;
 * - when the whole stack dies the device stops saying "Online" at once, the signaling banner
 *   holds the one retry countdown and the device waits for it; with the server back and the
 *   device still gone, the device has the countdown and the banner is gone;
 * - the dashboard and Media say the device is offline instead of spinning.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookAt } from '../helpers/pwa-audit.js';
import { type PwaStack, startPwaStack } from '../helpers/pwa-stack.js';

let stack: PwaStack;
let page: Page;

beforeAll(async () => {
  stack = await startPwaStack('Garage Pi');
  page = stack.page;
});

afterAll(async () => {
  // A stopped process cannot act on SIGTERM.
  if (stack?.edge.running()) stack.edge.process.kill('SIGCONT');
  await stack?.stop();
});

/** What the screen tells a person right now. */
interface Seen {
  status: string;
  detail: string;
  /** "Retry now" buttons on the screen. */
  retryButtons: number;
  /** Texts counting down to a retry ("Retrying in 3 s"). */
  countdowns: number;
  /** The screen says "Connecting…" and that the device is offline, both at once. */
  connectingBesideOffline: boolean;
  spinners: number;
}

function look(target: Page): Promise<Seen> {
  return target.evaluate(() => {
    const text = (id: string) =>
      document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '';
    // biome-ignore lint/performance/useDomNodeTextContent: what is shown, not hidden text
    const body = document.body.innerText;
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null;
    return {
      status: text('device-status'),
      detail: text('device-detail'),
      retryButtons: [...document.querySelectorAll('button')].filter(
        (b) => visible(b) && /Retry now/.test(b.textContent ?? ''),
      ).length,
      countdowns: (body.match(/Retrying in \d+ s/g) ?? []).length,
      connectingBesideOffline: body.includes('Connecting…') && /\boffline\b/i.test(body),
      spinners: [...document.querySelectorAll('.spinner')].filter(visible).length,
    };
  });
}

/** Looks every 250 ms for `ms`, and returns what was seen. */
async function watch(target: Page, ms: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (const end = Date.now() + ms; Date.now() < end; ) {
    seen.push(await look(target));
    await target.waitForTimeout(250);
  }
  return seen;
}

const status = () => page.getByTestId('device-status').first();

describe('the PWA says what is true when things break', () => {
  it('shows a hung device offline within 10 s, and keeps it offline while it dials again', async () => {
    await stack.go(stack.devicePath());
    await page.getByTestId('device-hostname').waitFor({ timeout: 30_000 });
    await expect.poll(() => status().textContent(), { timeout: 20_000 }).toBe('Online');
    // Stopped, not killed: its sockets stay open, so signaling still lists it.
    expect(stack.edge.process.kill('SIGSTOP')).toBe(true);
    const stoppedAt = Date.now();
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('Offline');
    console.log(`hung device shown offline after ${Date.now() - stoppedAt} ms`);
    expect(await page.getByTestId('device-detail').first().textContent()).toMatch(
      /stopped answering/,
    );
    await lookAt(page, 'hung-device');
    // Past the retry and well into the next dial: offline all along, told one way.
    const seen = await watch(page, 12_000);
    expect(seen.map((s) => s.status).filter((s) => s !== 'Offline')).toEqual([]);
    expect(seen.filter((s) => s.connectingBesideOffline)).toEqual([]);
    expect(seen.some((s) => /Trying again/.test(s.detail))).toBe(true);
    expect(Math.max(...seen.map((s) => s.countdowns))).toBeLessThanOrEqual(1);
    // The dashboard keeps the last values it read, and says they are old.
    await page.getByText(/Last values from .*; they refresh when the device is back/).waitFor();

    // Opened anew while the device hangs: "Connecting…" only until the dial times out.
    await page.reload();
    const openedAt = Date.now();
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('Connecting…');
    await expect
      .poll(() => status().textContent(), { timeout: 10_000 - (Date.now() - openedAt) })
      .toBe('Offline');
    console.log(`hung device, app opened: offline after ${Date.now() - openedAt} ms`);
    expect(await page.getByTestId('device-detail').first().textContent()).toMatch(
      /did not answer in time: it may be stuck/,
    );

    stack.edge.process.kill('SIGCONT');
    await expect.poll(() => status().textContent(), { timeout: 45_000 }).toBe('Online');
    await page.getByTestId('device-hostname').waitFor({ timeout: 30_000 });
  });

  it('tells the signaling server lost from the device lost, with one countdown', async () => {
    await stack.go('/');
    await expect.poll(() => status().textContent(), { timeout: 30_000 }).toBe('Online');
    await stack.signaling.stop();
    await stack.edge.kill();
    const diedAt = Date.now();
    // The pings' dead interval bounds this; the probe on losing the server is faster.
    await expect.poll(() => status().textContent(), { timeout: 6_000 }).not.toBe('Online');
    console.log(`device no longer shown online ${Date.now() - diedAt} ms after the stack died`);
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('Waiting');
    await page.getByTestId('signaling-banner').waitFor();
    const whileServerAway = await watch(page, 4_000);
    for (const s of whileServerAway) {
      expect(s.status).toBe('Waiting');
      expect(s.detail).toMatch(/signaling server/);
      expect(s.retryButtons).toBe(1);
      expect(s.countdowns).toBeLessThanOrEqual(1);
    }
    expect(whileServerAway.some((s) => s.countdowns === 1)).toBe(true);
    await lookAt(page, 'signaling-lost');

    // The server is back, the device is not: now the device holds the one countdown.
    await stack.restartSignaling();
    await page.getByTestId('signaling-banner').waitFor({ state: 'detached', timeout: 40_000 });
    await expect.poll(() => status().textContent(), { timeout: 30_000 }).toBe('Offline');
    const whileDeviceAway = await watch(page, 3_000);
    for (const s of whileDeviceAway) {
      expect(s.status).toBe('Offline');
      expect(s.countdowns).toBeLessThanOrEqual(1);
      expect(s.retryButtons).toBeLessThanOrEqual(1);
      expect(s.connectingBesideOffline).toBe(false);
    }
    expect(whileDeviceAway.some((s) => s.countdowns === 1 && s.retryButtons === 1)).toBe(true);
    await lookAt(page, 'device-lost');
  });

  it('says the device is offline on its dashboard and in Media, with nothing spinning', async () => {
    // The edge is still down from the test before.
    for (const tail of ['', '/media']) {
      await stack.go(stack.devicePath(tail));
      const unavailable = page.getByTestId('device-unavailable');
      await expect
        .poll(() => unavailable.textContent(), { timeout: 30_000 })
        .toMatch(/The device is offline/);
      const seen = await watch(page, 2_000);
      expect(seen.map((s) => s.spinners)).toEqual(seen.map(() => 0));
      expect(seen.filter((s) => s.connectingBesideOffline)).toEqual([]);
      await lookAt(page, `offline${tail.replace('/', '-') || '-dashboard'}`);
    }
    // Back, and Media loads by itself.
    await stack.restartEdge();
    await page.locator('img[data-testid="media-thumb"]').first().waitFor({ timeout: 60_000 });
  });
});
