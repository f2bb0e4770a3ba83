/**
 * `npm start`'s stack (without the build step, which the test run has done): it comes up,
 * serves the app, brings an edge online with a pairing code, and Ctrl-C stops it all.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

function waitForOutput(
  child: ChildProcess,
  output: () => string,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const check = () => {
      const match = output().match(pattern);
      if (match) {
        clearTimeout(deadline);
        child.stdout!.off('data', check);
        resolve(match);
      }
    };
    child.stdout!.on('data', check);
    check();
  });
}

/** The pid of the stack's edge supervisor (`edge.js start` without `--no-supervise`). */
async function supervisorOfEdge(state: string): Promise<number> {
  const { stdout } = await run('pgrep', ['-f', `edge/dist/cli/edge.js start .*${state}`]);
  const pids = stdout.trim().split('\n').map(Number);
  for (const pid of pids) {
    const args = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!args.includes('--no-supervise')) return pid;
  }
  throw new Error(`no edge supervisor among ${pids.join(', ')}`);
}

describe('the one-command local stack', () => {
  let child: ChildProcess | undefined;
  let state: string | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    if (state) await rm(state, { recursive: true, force: true });
  });

  it('starts signaling, the app and an edge with sample media, restarts a killed edge, and stops cleanly on Ctrl-C', async () => {
    state = await mkdtemp(join(tmpdir(), 'pf-stack-'));
    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-stack.ts'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port), PEERFETCH_STATE: state },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });

    await waitForOutput(child, () => output, /is online/, 60_000);
    const [, code, link] = await waitForOutput(
      child,
      () => output,
      /Pairing code: (\d{6}) {3}\(or open (\S+)\)/,
      10_000,
    );
    expect(code).toMatch(/^\d{6}$/);
    expect(output).toContain(`Open the app:   http://localhost:${port}/`);
    // The link opens the app at the same origin: the browser keeps each origin's devices apart.
    expect(new URL(link!).origin).toBe(`http://localhost:${port}`);
    expect(output).toContain('npm run pair');

    // `npm run pair` finds the stack's edge without flags and opens a new window.
    const paired = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const pair = spawn(process.execPath, ['--import', 'tsx', 'scripts/pair.ts', '--json'], {
        cwd: repoRoot,
        env: { ...process.env, PEERFETCH_STATE: state },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      pair.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      pair.once('exit', (exitCode) => resolve({ code: exitCode, out }));
    });
    expect(paired.code).toBe(0);
    expect(JSON.parse(paired.out)).toMatchObject({ code: expect.stringMatching(/^\d{6}$/) });

    const app = await fetch(`http://127.0.0.1:${port}/`);
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('<div id="app"');
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      status: string;
      peers: number;
    };
    expect(health).toMatchObject({ status: 'ok', peers: 1 });
    expect((await readdir(join(state, 'media'))).length).toBe(13);

    // A killed edge does not take the stack down: it is started again, under the same id.
    const edgeMain = await supervisorOfEdge(state);
    process.kill(edgeMain, 'SIGKILL');
    await waitForOutput(child, () => output, /edge stopped unexpectedly \(SIGKILL\)/, 10_000);
    await waitForOutput(child, () => output, /Starting edge again/, 5_000);
    const onlineAgain = output.length;
    await waitForOutput(child, () => output.slice(onlineAgain), /is online/, 60_000);
    expect(await supervisorOfEdge(state)).not.toBe(edgeMain);
    expect(
      (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as object,
    ).toMatchObject({
      peers: 1,
    });

    // Ctrl-C reaches the whole foreground process group.
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (exitCode) => resolve(exitCode)),
    );
    process.kill(-child.pid!, 'SIGINT');
    const stoppedAt = output.length;
    expect(await exited).toBe(0);
    // The edge leaves before the server does: no reconnect noise on the way out.
    expect(output.slice(stoppedAt)).toMatch(/^\nStopping…\nStopped in [\d.]+ s\.\n$/);
    const stillThere = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    expect(stillThere).toBe(false);
  });
});
