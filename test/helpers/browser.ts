/**
 * Launches Debian's Chromium (never a downloaded browser) through playwright-core, with the
 * flags WebRTC needs inside a loopback-only namespace. Every launch gets a fresh profile.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type LaunchOptions } from 'playwright-core';

/** Where Debian installs Chromium; override with PEERFETCH_CHROMIUM. */
export const CHROMIUM_PATH = process.env.PEERFETCH_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for headless WebRTC on loopback (see ARCHITECTURE.md, "Running WebRTC in tests"). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface LaunchedBrowser {
  browser: Browser;
  /** Closes the browser (Playwright deletes its temporary profile). */
  close(): Promise<void>;
}

function baseOptions(extraArgs: string[], executablePath = CHROMIUM_PATH): LaunchOptions {
  return {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 60_000,
  };
}

/**
 * An ordinary browser. Playwright gives every launch a fresh temporary profile of its own
 * (it refuses an explicit --user-data-dir here) and deletes it on close. `executablePath`
 * may be a wrapper that starts CHROMIUM_PATH elsewhere (in a network namespace, say).
 */
export async function launchBrowser(
  extraArgs: string[] = [],
  executablePath = CHROMIUM_PATH,
): Promise<LaunchedBrowser> {
  const browser = await chromium.launch(baseOptions(extraArgs, executablePath));
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

export interface LaunchedPersistentContext {
  context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/**
 * A persistent profile: needed for installability checks (`Page.getInstallabilityErrors`
 * reports `in-incognito` otherwise) and for a service worker that outlives a reload.
 */
export async function launchPersistentContext(
  options: {
    viewport?: { width: number; height: number };
    extraArgs?: string[];
    colorScheme?: 'light' | 'dark';
  } = {},
): Promise<LaunchedPersistentContext> {
  const profile = await mkdtemp(join(tmpdir(), 'peerfetch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...baseOptions(options.extraArgs ?? []),
    viewport: options.viewport ?? { width: 390, height: 844 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
