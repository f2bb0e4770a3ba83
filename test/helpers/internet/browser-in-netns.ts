/**
 * Debian's Chromium as a host of the box (the phone, say): Playwright starts a small wrapper
 * that runs `ip netns exec <ns> chromium …`, and drives it over its debugging pipe, which
 * crosses namespaces. The browser then sees only that host's interfaces and routes.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH, type LaunchedBrowser, launchBrowser } from '../browser.js';
import type { HostName, Internet } from './internet.js';
import { IP } from './netns.js';

/**
 * Launches Chromium inside `host` with CHROMIUM_ARGS and `extraArgs`, and `env` on top of this
 * process's environment (HOME, say: where Chromium finds the CAs its user trusts); close()
 * removes the wrapper.
 */
export async function launchBrowserIn(
  internet: Internet,
  host: HostName,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<LaunchedBrowser> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-chromium-netns-'));
  const wrapper = join(dir, 'chromium');
  // exec all the way down: the pid Playwright holds (and kills) is Chromium's own.
  await writeFile(
    wrapper,
    `#!/bin/sh\n${exports(env)}exec ${IP} netns exec ${internet.netns(host)} ${CHROMIUM_PATH} "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  try {
    const launched = await launchBrowser(extraArgs, wrapper);
    return {
      browser: launched.browser,
      async close() {
        await launched.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `export NAME='value'` lines for a shell script. */
function exports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", `'\\''`)}'\n`)
    .join('');
}
