/**
 * `peerfetch-edge doctor`: checks what the edge needs, one row per check, so a person can
 * see at a glance what is wrong.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { peerServerOptions } from '@peerfetch/shared';
import { loadConfig } from '../config/load.js';
import { type EdgeConfig, routeTargetOf } from '../config/schema.js';
import type { ConfigFlags } from '../config/sources.js';
import { loadPairedClients } from '../pairing/paired-clients.js';
import { readIdentity } from '../state/identity.js';
import { checkWebRtc } from '../webrtc/index.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** How long each network check may take, in ms. */
const NETWORK_TIMEOUT_MS = 3000;

async function check(name: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message.split('\n').join('; ') };
  }
}

/** Any HTTP answer counts: the point is that something listens and speaks HTTP. */
async function answers(url: string): Promise<string> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel();
    return `HTTP ${response.status} from ${url}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

async function stateChecks(config: EdgeConfig): Promise<CheckResult[]> {
  return [
    await check('state directory', async () => {
      await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
      await access(config.stateDir, constants.W_OK);
      return `${config.stateDir} is writable`;
    }),
    await check('media folder', async () => {
      const dir = config.deviceApi.mediaDir;
      if (!dir) return 'none configured';
      await access(dir, constants.R_OK | constants.X_OK);
      return `${dir} is readable`;
    }),
    await check('identity', async () => {
      const identity = await readIdentity(config.stateDir);
      return identity ? `peer id ${identity.peerId}` : 'not created yet (made on first start)';
    }),
    await check('paired clients', async () => {
      const clients = await loadPairedClients({ stateDir: config.stateDir });
      return clients.size === 0
        ? 'none yet: the pairing window opens on start (or run `peerfetch-edge pair`)'
        : `${clients.size} paired`;
    }),
  ];
}

export async function runDoctor(flags: ConfigFlags, env: Record<string, string | undefined>) {
  const results: CheckResult[] = [];
  let config: EdgeConfig | undefined;
  results.push(
    await check('config', async () => {
      config = await loadConfig({ flags, env });
      return `signaling ${config.signaling.url}, ${Object.keys(config.routes).length} route(s)`;
    }),
  );
  results.push(
    await check('webrtc', async () => {
      await checkWebRtc();
      return '@roamhq/wrtc loads and makes an offer';
    }),
  );
  if (config) {
    const c = config;
    results.push(...(await stateChecks(c)));
    results.push(
      await check('signaling', async () => {
        // The URL PeerJS asks for its id, built the way PeerJS builds it.
        const t = peerServerOptions(c.signaling.url);
        const scheme = t.secure ? 'https' : 'http';
        return answers(
          `${scheme}://${t.host}:${t.port}${t.path}/${encodeURIComponent(c.signaling.key)}/id`,
        );
      }),
    );
    for (const [prefix, target] of Object.entries(c.routes)) {
      results.push(await check(`upstream ${prefix}`, () => answers(routeTargetOf(target).url)));
    }
  }
  return results;
}

export function formatTable(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`)
    .join('\n');
}
