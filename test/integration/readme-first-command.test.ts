/**
 * The README's first command on a fresh clone, as a newcomer runs it: `npm install && npm
 * start`, then pairing a terminal with the printed code, `npm run pair` for a second window,
 * a second pairing, a fetch through `npx peerfetch`, and Ctrl-C.
 *
 * The clone is of the committed tree (HEAD). npm installs from its cache only (`--offline`):
 * the test's network namespace has no way out, and CI's own `npm ci` has filled the cache.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');
let work: string | undefined;
let stack: ChildProcess | undefined;

afterAll(async () => {
  if (stack?.pid && stack.exitCode === null && stack.signalCode === null)
    process.kill(-stack.pid, 'SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs `npx …` in the clone as a newcomer would, with a config home of its own. */
async function npx(clone: string, configHome: string, args: string[]) {
  const { stdout, stderr } = await run('npx', ['--no-install', ...args], {
    cwd: clone,
    env: { ...process.env, XDG_CONFIG_HOME: configHome },
    timeout: 60_000,
  });
  return { stdout, stderr };
}

it('npm install && npm start on a fresh clone: pair, pair again, fetch, Ctrl-C', async () => {
  work = await mkdtemp(join(tmpdir(), 'pf-readme-'));
  const clone = join(work, 'peerfetch');
  await run('git', ['clone', '--quiet', repoRoot, clone]);
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: clone,
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });

  const port = await freePort();
  let output = '';
  stack = spawn('npm', ['start'], {
    cwd: clone,
    env: { ...process.env, PORT: String(port) },
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  stack.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const printed = async (pattern: RegExp, from = 0) => {
    await expect
      .poll(() => output.slice(from).match(pattern), { timeout: 240_000, interval: 250 })
      .toBeTruthy();
    return output.slice(from).match(pattern)!;
  };
  const [, firstCode] = await printed(/Pairing code: (\d{6})/);
  await printed(/is online/);
  expect(output).toContain('npm run pair');

  const signaling = `http://localhost:${port}`;
  const first = join(work, 'first');
  await npx(clone, first, ['peerfetch', 'pair', '--signaling', signaling, '--code', firstCode!]);

  // A new pairing window, from another terminal, with no flags.
  const again = await run('npm', ['run', '--silent', 'pair', '--', '--json'], {
    cwd: clone,
    timeout: 30_000,
  });
  const secondCode = (JSON.parse(again.stdout) as { code: string }).code;
  expect(secondCode).toMatch(/^\d{6}$/);
  const second = join(work, 'second');
  await npx(clone, second, ['peerfetch', 'pair', '--signaling', signaling, '--code', secondCode]);

  for (const configHome of [first, second]) {
    const device = await npx(clone, configHome, ['peerfetch', 'fetch', '/api/device']);
    expect(JSON.parse(device.stdout)).toMatchObject({ agent: { name: 'peerfetch-edge' } });
  }
  const clients = await npx(clone, first, ['peerfetch-edge', 'clients', '--json']);
  expect(JSON.parse(clients.stdout)).toHaveLength(2);

  const exited = new Promise<string>((resolve) =>
    stack!.once('close', (code, signal) => resolve(signal ?? `exit ${code}`)),
  );
  const stoppingAt = output.length;
  process.kill(-stack.pid!, 'SIGINT');
  // npm passes Ctrl-C on and then ends by it, as a shell expects of a foreground job.
  expect(['exit 0', 'SIGINT']).toContain(await exited);
  expect(output.slice(stoppingAt)).toMatch(/^\s*Stopping…\nStopped in [\d.]+ s\.\n$/);
}, 600_000);
