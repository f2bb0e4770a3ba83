/**
 * Node-RED 4, a real third-party web app, for the WebSocket tunnel tests: started by the test
 * with its own user folder in a temporary directory, on a free loopback port, inside the
 * test's network namespace, and stopped by it. Its editor's `/comms` WebSocket sends a
 * heartbeat every second here (the default is 15 s), so a test need not wait long for one.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { stopProcess } from './httpbin.js';

export interface StartedNodeRed {
  /** `http://127.0.0.1:{port}`: the editor and admin API at `/`, `http in` nodes too. */
  url: string;
  stop(): Promise<void>;
}

const RED_JS = createRequire(import.meta.url).resolve('node-red/red.js');

export async function startNodeRed(timeoutMs = 60_000): Promise<StartedNodeRed> {
  const userDir = await mkdtemp(join(tmpdir(), 'pf-node-red-'));
  const port = await freePort();
  const settings = join(userDir, 'settings.js');
  await writeFile(
    settings,
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      credentialSecret: false,
      webSocketKeepAliveTime: 1000,
      logging: { console: { level: 'warn' } },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
    })};\n`,
  );
  const child = spawn(process.execPath, [RED_JS, '--userDir', userDir, '--settings', settings], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: userDir },
  });
  let log = '';
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    await rm(userDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Node-RED exited while starting:\n${log}`);
    }
    const ready = await fetch(`${url}/settings`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not answer within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
