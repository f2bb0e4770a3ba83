/**
 * The CLIs around pairing: `peerfetch pair` choosing the device from the room, and the edge
 * showing its code and QR code on a terminal.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EDGE_MAIN,
  makeStateDir,
  removeStateDir,
  runClientCli,
  startEdge,
} from '../helpers/edge.js';
import { type StartedSignaling, startSignaling, TEST_PEER_KEY } from '../helpers/signaling.js';

let signaling: StartedSignaling;
let configHome: string;
beforeAll(async () => {
  signaling = await startSignaling();
  configHome = await mkdtemp(join(tmpdir(), 'pf-config-'));
});
afterAll(async () => {
  await signaling?.stop();
  await rm(configHome, { recursive: true, force: true });
});

describe('pairing without --device', () => {
  it('asks for --device when several edges are online in the network', async () => {
    const edge = await startEdge({ signalingUrl: signaling.url, name: 'One Pi' });
    const other = await startEdge({ signalingUrl: signaling.url, name: 'Other Pi' });
    try {
      const result = await runClientCli(
        ['pair', '--signaling', signaling.url, '--code', '123456'],
        { configHome },
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/several devices are online here; choose one with --device/);
      expect(result.stderr).toContain(edge.peerId);
      expect(result.stderr).toContain(other.peerId);
    } finally {
      for (const e of [edge, other]) {
        await e.stop();
        await removeStateDir(e.stateDir);
      }
    }
  });
});

describe('the edge on a terminal', () => {
  it('prints the pairing code and a QR code when stdout is a TTY', async () => {
    const dir = await makeStateDir();
    await writeFile(join(dir, 'test-edge.yaml'), '');
    const command = [process.execPath, EDGE_MAIN, 'start', '--config', join(dir, 'test-edge.yaml')]
      .concat(['--signaling', signaling.url, '--state-dir', dir, '--signaling-key', TEST_PEER_KEY])
      .map((a) => `'${a}'`)
      .join(' ');
    // script(1) gives the edge a pseudo-terminal as stdout.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8');
    try {
      await new Promise<void>((resolveShown, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no QR code within 20 s:\n${output}`)),
          20_000,
        );
        child.stdout!.on('data', (chunk: string) => {
          output += chunk;
          if (
            output.includes('"msg":"pairing window open"') &&
            /Pairing code: \d{3} \d{3}/.test(output) &&
            (output.match(/[▄▀█]/g) ?? []).length > 100
          ) {
            clearTimeout(timer);
            resolveShown();
          }
        });
      });
      const logged = JSON.parse(
        output.split('\n').find((l) => l.includes('"pairing window open"'))!,
      );
      expect(output).toContain(`Pairing code: ${logged.code.slice(0, 3)} ${logged.code.slice(3)}`);
      expect(output).toContain(`Open on the phone: ${logged.link}`);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await removeStateDir(dir);
    }
  });
});
