/**
 * The PWA paired with a real edge, for end-to-end tests of what a person sees: the built
 * signaling server serving the app, the built edge with sample media, Debian's Chromium,
 * paired through the edge's QR link as a person would. Either process can be stopped and
 * started again (the signaling server on the same port, the edge with the same state).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type LaunchedBrowser, launchBrowser } from './browser.js';
import { makeStateDir, removeStateDir, type StartedEdge, startEdge } from './edge.js';
import { ensurePwaBuilt, pairingWindowOf, VIEWPORTS, writeSampleMedia } from './pwa.js';
import { type StartedSignaling, startSignaling } from './signaling.js';

/** The app's default PeerJS key is the server's default. */
const KEY = 'peerjs';

export interface PwaStack {
  readonly signaling: StartedSignaling;
  readonly edge: StartedEdge;
  readonly page: Page;
  readonly context: BrowserContext;
  readonly edgeName: string;
  /** The paired device's id (the edge's peer id). */
  readonly deviceId: string;
  /** Opens `#<hash>` in the app. */
  go(hash: string): Promise<void>;
  /** `/devices/<id><tail>`. */
  devicePath(tail?: string): string;
  /** Starts the edge again with its state (after a kill or stop). */
  restartEdge(): Promise<StartedEdge>;
  /** Starts the signaling server again on its port (after a stop). */
  restartSignaling(): Promise<StartedSignaling>;
  stop(): Promise<void>;
}

export async function startPwaStack(edgeName = 'Living Room Pi'): Promise<PwaStack> {
  const pwaDir = await ensurePwaBuilt();
  const mediaDir = await mkdtemp(join(tmpdir(), 'pf-media-'));
  await writeSampleMedia(mediaDir);
  const stateDir = await makeStateDir();
  const env = { PWA_DIR: pwaDir, PEER_KEY: KEY };
  let signaling = await startSignaling(env);
  let edge: StartedEdge | undefined;
  let browser: LaunchedBrowser | undefined;
  const launchEdge = () =>
    startEdge({
      signalingUrl: signaling.url,
      stateDir,
      mediaDir,
      name: edgeName,
      env: { PEERFETCH_SIGNALING_KEY: KEY },
    });
  const stop = async () => {
    await browser?.close();
    await edge?.stop();
    await signaling.stop();
    await removeStateDir(stateDir);
    await rm(mediaDir, { recursive: true, force: true });
  };
  try {
    edge = await launchEdge();
    browser = await launchBrowser();
    const context = await browser.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    const deviceId = await pairThroughLink(page, edge, edgeName);
    return {
      get signaling() {
        return signaling;
      },
      get edge() {
        return edge!;
      },
      page,
      context,
      edgeName,
      deviceId,
      go: async (hash) => {
        await page.goto(`${signaling.url}/#${hash}`);
      },
      devicePath: (tail = '') => `/devices/${encodeURIComponent(deviceId)}${tail}`,
      async restartEdge() {
        edge = await launchEdge();
        return edge;
      },
      async restartSignaling() {
        signaling = await startSignaling({ ...env, PORT: String(signaling.port) });
        return signaling;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Pairs as a person would: opens the edge's QR link and confirms. Returns the device id. */
export async function pairThroughLink(
  page: Page,
  edge: StartedEdge,
  edgeName: string,
): Promise<string> {
  const { link } = await pairingWindowOf(edge);
  await page.goto(link);
  // The code comes from the link; the name is looked up once in the room and may not come
  // (the id is enough to pair), so a name on the button is not waited for.
  const confirm = page.getByTestId('pair-submit');
  await confirm.filter({ hasText: 'Pair with' }).waitFor({ timeout: 30_000 });
  await confirm.click();
  await page.waitForURL(/#\/devices\//, { timeout: 45_000 });
  // Saved under the name the edge gave when it paired.
  await page.getByRole('heading', { level: 1, name: edgeName }).waitFor();
  return decodeURIComponent(page.url().split('#/devices/')[1] ?? '');
}
