/**
 * Download to the browser: 64 MiB GET edge → the shared PeerFetch client in Debian's
 * Chromium (bundled for the page with Vite, used as the PWA uses it, paired for real),
 * against the raw DataChannel bench peer → Chromium with the same frame size and water
 * marks. Alternating.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '@peerfetch/test/helpers/browser.js';
import type { EdgeStack } from '@peerfetch/test/helpers/edge-stack.js';
import { openPairingWindow } from '@peerfetch/test/helpers/pairing.js';
import { randomPeerId } from '@peerfetch/test/helpers/peerjs-node.js';
import type { Browser, Page } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { RawOp } from './bench-protocol.js';
import { defaultPolicy } from './node-throughput.js';
import type { BenchPeer } from './peer-client.js';
import { MiB, mibPerSecond, type Summary, summarize } from './stats.js';
import { fmt, type TargetRow } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BrowserResult {
  chromium: string;
  sizeMiB: number;
  repetitions: number;
  frameSize: number;
  /** `pc.sctp.maxMessageSize` as Chromium reports it for the wrtc peer. */
  browserMaxMessageSize: number;
  rawMiBps: Summary;
  /** The bench peer carrying the pattern upstream's bytes (`raw-proxy.ts`). */
  rawUpstreamMiBps: Summary;
  peerFetchMiBps: Summary;
  ratio: number;
}

/** The bundled page: its entry module's file name and every file by name. */
export interface PageBundle {
  entry: string;
  files: Map<string, string>;
}

/**
 * The page script: browser/page.ts with PeerJS and @peerfetch/shared, one ES module.
 * `perModule` keeps every source module its own file under its own path (same code, same
 * order), so a CPU profile's script URLs tell our code from PeerJS's (profile-browser.ts).
 */
export async function bundlePage(perModule = false): Promise<PageBundle> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root: join(here, 'browser'),
    build: {
      write: false,
      minify: false,
      lib: { entry: join(here, 'browser', 'page.ts'), formats: ['es'], fileName: 'page' },
      ...(perModule && {
        rollupOptions: { output: { preserveModules: true, entryFileNames: '[name].js' } },
      }),
    },
  })) as Rollup.RollupOutput[];
  const files = new Map<string, string>();
  let entry: string | undefined;
  for (const o of output[0]!.output) {
    if (o.type !== 'chunk') continue;
    files.set(o.fileName, o.code);
    if (o.isEntry) entry = o.fileName;
  }
  if (!entry) throw new Error('vite produced no page bundle');
  return { entry, files };
}

export async function servePage({ entry, files }: PageBundle) {
  const server = createServer((req, res) => {
    const script = files.get(req.url?.slice(1) ?? '');
    if (script !== undefined) {
      res.setHeader('content-type', 'text/javascript');
      res.end(script);
    } else {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>bench</title><script type="module" src="/${entry}"></script>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

type Bench = Record<string, (...args: never[]) => Promise<unknown>>;

export function call<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([n, a]) =>
      (window as unknown as { bench: Bench }).bench[n as string]!(...(a as never[])) as Promise<T>,
    [name, args] as const,
  ) as Promise<T>;
}

/**
 * Opens the bench page, starts its PeerJS peer, pairs it with the edge, and opens both the
 * PeerFetch session to the edge and the raw connection to the bench peer.
 */
export async function openBenchPage(
  browser: Browser,
  url: string,
  stack: EdgeStack,
  benchPeer: BenchPeer,
  tuning: Record<string, number> = {},
): Promise<{ page: Page; frameSize: number; browserMaxMessageSize: number }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'bench ready');
  await call(page, 'start', stack.signaling.port, randomPeerId('browser'));
  const { code } = await openPairingWindow(stack.edge);
  await call(page, 'pair', stack.edge.peerId, code);
  await call(page, 'openPeerFetch', stack.edge.peerId, tuning);
  // Chromium announces 256 KiB messages, so the edge's frame limit is the default here too.
  const policy = defaultPolicy(262_144);
  const browserMaxMessageSize = await call<number>(page, 'openRaw', benchPeer.id, policy, {
    upstreamUrl: stack.upstream.url,
  });
  return { page, frameSize: policy.frameSize, browserMaxMessageSize };
}

/**
 * One download of `bytes` into the page; milliseconds as the page measured them. `raw` sends
 * from memory, `rawUpstream` carries the pattern upstream's bytes.
 */
export function download(
  page: Page,
  kind: 'raw' | 'rawUpstream' | 'peerFetch',
  bytes: number,
): Promise<number> {
  if (kind === 'peerFetch')
    return call<number>(page, 'peerFetchDownload', `/up/bytes?n=${bytes}`, bytes);
  const op = kind === 'raw' ? RawOp.download : RawOp.upstreamDownload;
  return call<number>(page, 'rawDownload', bytes, op);
}

export async function runBrowserDownload(
  stack: EdgeStack,
  benchPeer: BenchPeer,
  options: { sizeMiB?: number; repetitions?: number; tuning?: Record<string, number> } = {},
): Promise<{ result: BrowserResult; rows: TargetRow[] }> {
  const sizeMiB = options.sizeMiB ?? 64;
  const repetitions = options.repetitions ?? 3;
  const bytes = sizeMiB * MiB;
  const page$ = await servePage(await bundlePage());
  const launched = await launchBrowser();
  const raw: number[] = [];
  const rawUpstream: number[] = [];
  const subject: number[] = [];
  let frameSize = 0;
  let chromium = '';
  let browserLimit = 0;
  try {
    chromium = launched.browser.version();
    const opened = await openBenchPage(
      launched.browser,
      page$.url,
      stack,
      benchPeer,
      options.tuning,
    );
    const { page } = opened;
    frameSize = opened.frameSize;
    browserLimit = opened.browserMaxMessageSize;
    for (let i = 0; i < repetitions; i++) {
      raw.push(mibPerSecond(bytes, await download(page, 'raw', bytes)));
      rawUpstream.push(mibPerSecond(bytes, await download(page, 'rawUpstream', bytes)));
      subject.push(mibPerSecond(bytes, await download(page, 'peerFetch', bytes)));
    }
    await call(page, 'close');
  } finally {
    await launched.close();
    await page$.stop();
  }
  const result: BrowserResult = {
    chromium,
    sizeMiB,
    repetitions,
    frameSize,
    browserMaxMessageSize: browserLimit,
    rawMiBps: summarize(raw),
    rawUpstreamMiBps: summarize(rawUpstream),
    peerFetchMiBps: summarize(subject),
    ratio: summarize(subject).median / summarize(raw).median,
  };
  const show = (s: Summary) => `${fmt(s.median)} MiB/s ±${fmt(s.spread * 50, 0)} %`;
  const upstreamRatio = result.peerFetchMiBps.median / result.rawUpstreamMiBps.median;
  const rows: TargetRow[] = [
    {
      scenario: `download ${sizeMiB} MiB edge → Chromium ${chromium}`,
      subject: show(result.peerFetchMiBps),
      baseline: `raw from memory ${show(result.rawMiBps)}`,
      figure: `${fmt(result.ratio, 2)} × raw`,
      target: '≥ 0.90 × raw',
      met: result.ratio >= 0.9,
    },
    {
      scenario: `download ${sizeMiB} MiB edge → Chromium ${chromium}`,
      subject: show(result.peerFetchMiBps),
      baseline: `raw carrying the upstream's bytes ${show(result.rawUpstreamMiBps)}`,
      figure: `${fmt(upstreamRatio, 2)} × raw`,
      target: '≥ 0.90 × raw',
      met: upstreamRatio >= 0.9,
    },
  ];
  return { result, rows };
}
