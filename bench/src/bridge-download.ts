/**
 * The service-worker bridge's download rate in Chromium against the page's own device fetch
 * over the same session, alternating, in the same run (target ≥ 0.9×). The PWA as built,
 * paired with the built edge through its QR link; the file is read to its end in the page
 * (`fetch('peer/<id>/api/media/…')` against `window.peerfetch.fetch(id, '/api/media/…')`).
 *
 *   bash test/run-in-netns.sh tsx bench/src/bridge-download.ts [--quick]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from '@peerfetch/test/helpers/browser.js';
import { makeStateDir, removeStateDir, startEdge } from '@peerfetch/test/helpers/edge.js';
import { ensurePwaBuilt, VIEWPORTS } from '@peerfetch/test/helpers/pwa.js';
import { pairThroughLink } from '@peerfetch/test/helpers/pwa-stack.js';
import { startSignaling } from '@peerfetch/test/helpers/signaling.js';
import { MiB, median, mibPerSecond } from './stats.js';
import { fmt, type TargetRow, toMarkdown } from './targets.js';

const KEY = 'peerjs';
const NAME = 'Bench Pi';

export interface BridgeDownloadFigures {
  bytes: number;
  bridgeMiBps: number[];
  pageMiBps: number[];
}

export async function runBridgeDownload(
  quick: boolean,
): Promise<{ figures: BridgeDownloadFigures; rows: TargetRow[] }> {
  const bytes = (quick ? 16 : 64) * MiB;
  const reps = quick ? 2 : 4;
  const mediaDir = await mkdtemp(join(tmpdir(), 'pf-bench-bridge-'));
  await writeFile(join(mediaDir, 'blob.bin'), randomBytes(bytes));
  const stateDir = await makeStateDir();
  const signaling = await startSignaling({ PWA_DIR: await ensurePwaBuilt(), PEER_KEY: KEY });
  const edge = await startEdge({
    signalingUrl: signaling.url,
    stateDir,
    mediaDir,
    name: NAME,
    env: { PEERFETCH_SIGNALING_KEY: KEY },
  });
  const browser = await launchBrowser();
  try {
    const context = await browser.browser.newContext({ viewport: VIEWPORTS[1] });
    const page = await context.newPage();
    const deviceId = await pairThroughLink(page, edge, NAME);
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, {
      timeout: 30_000,
    });
    /** Reads the file to its end one way; returns the milliseconds from request to last byte. */
    const timed = (way: 'bridge' | 'page') =>
      page.evaluate(
        async ({ way, deviceId, bytes }) => {
          const path = '/api/media/blob.bin';
          const started = performance.now();
          const direct = (
            window as unknown as {
              peerfetch: { fetch(id: string, path: string): Promise<Response> };
            }
          ).peerfetch;
          const response =
            way === 'bridge'
              ? await fetch(`peer/${encodeURIComponent(deviceId)}${path}`)
              : await direct.fetch(deviceId, path);
          const reader = response.body!.getReader();
          let got = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            got += value.byteLength;
          }
          if (got !== bytes) throw new Error(`${way}: read ${got} bytes of ${bytes}`);
          return performance.now() - started;
        },
        { way, deviceId, bytes },
      );
    // One unmeasured read each: the session's first bulk transfer and the worker's start-up.
    await timed('page');
    await timed('bridge');
    const figures: BridgeDownloadFigures = { bytes, bridgeMiBps: [], pageMiBps: [] };
    for (let i = 0; i < reps; i += 1) {
      figures.pageMiBps.push(mibPerSecond(bytes, await timed('page')));
      figures.bridgeMiBps.push(mibPerSecond(bytes, await timed('bridge')));
    }
    const bridge = median(figures.bridgeMiBps);
    const own = median(figures.pageMiBps);
    const ratio = bridge / own;
    return {
      figures,
      rows: [
        {
          scenario: `bridge download ${bytes / MiB} MiB (Chromium)`,
          subject: `${fmt(bridge)} MiB/s`,
          baseline: `${fmt(own)} MiB/s (page's fetch)`,
          figure: `${fmt(ratio, 2)}×`,
          target: '≥ 0.9×',
          met: ratio >= 0.9,
        },
      ],
    };
  } finally {
    await browser.close();
    await edge.stop();
    await signaling.stop();
    await removeStateDir(stateDir);
    await rm(mediaDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const { figures, rows } = await runBridgeDownload(values.quick);
  console.log(JSON.stringify(figures));
  console.log(toMarkdown(rows));
}
