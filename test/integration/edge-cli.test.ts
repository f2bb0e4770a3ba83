/** `peerfetch-edge status | doctor` against a running edge, and `peerfetch fetch` uploads. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_MAIN,
  EDGE_MAIN,
  nextGoodbye,
  removeStateDir,
  runClientCli,
  type StartedEdge,
  startClientCli,
  startEdge,
} from '../helpers/edge.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling, TEST_PEER_KEY } from '../helpers/signaling.js';
import { patternBytes, type StartedUpstream, sha256, startUpstream } from '../helpers/upstream.js';

const run = promisify(execFile);
let signaling: StartedSignaling;
let upstream: StartedUpstream;
let edge: StartedEdge;
let dir: string;
/** A port where nothing listens. */
let deadPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-cli-'));
  signaling = await startSignaling();
  upstream = await startUpstream();
  const dead = await startUpstream();
  deadPort = dead.port;
  await dead.stop();
  edge = await startEdge({ signalingUrl: signaling.url, routes: { '/up': upstream.url } });
  const paired = await pairCli(signaling.url, edge, dir, (await pairingWindowOf(edge)).code);
  if (paired.code !== 0) throw new Error(`pairing failed: ${paired.stderr}`);
});
afterAll(async () => {
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await upstream?.stop();
  await signaling?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `peerfetch-edge` and resolves with its exit code and output, whatever the code. */
async function edgeCli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [EDGE_MAIN, ...args], {
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const configFlags = () => ['--config', join(edge.stateDir, 'test-edge.yaml')];

describe('peerfetch-edge status', () => {
  it('reports the running service through its control socket', async () => {
    const result = await edgeCli([
      'status',
      '--json',
      '--state-dir',
      edge.stateDir,
      ...configFlags(),
    ]);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status.peerId).toBe(edge.peerId);
    expect(status.signaling.state).toBe('joined');
    expect(status.routes).toContain('/up');
    expect(status.pairedClients).toBe(1);
    expect(status.pairingOpenUntil).toBeNull(); // closed by the pairing in beforeAll
  });

  it('tells a person the same in words, one fact a line', async () => {
    const result = await edgeCli(['status', '--state-dir', edge.stateDir, ...configFlags()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Device          Test Edge (${edge.peerId})`);
    expect(result.stdout).toContain(`Signaling       joined at ${signaling.url}`);
    expect(result.stdout).toContain('Routes          /up, / (device API)');
    expect(result.stdout).not.toMatch(/[{}"]/);
  });

  it('exits 3 with a clear message when nothing runs', async () => {
    const result = await edgeCli(['status', '--state-dir', dir, ...configFlags()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not running/);
  });
});

describe('peerfetch-edge start', () => {
  it('refuses a bad configuration with exit code 2 and says what is wrong', async () => {
    const result = await edgeCli([
      'start',
      ...configFlags(),
      '--signaling',
      'ftp://nowhere',
      '--state-dir',
      dir,
      '--route',
      'no-equals-sign',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--route: route "no-equals-sign" must look like \/prefix=http/);
    const bad = await edgeCli([
      'start',
      ...configFlags(),
      '--signaling',
      'ftp://nowhere',
      '--state-dir',
      dir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/signaling\.url \(from --signaling\): must be an http/);
  });
});

describe('peerfetch-edge doctor', () => {
  it('passes every check when signaling and upstreams answer', async () => {
    const result = await edgeCli([
      'doctor',
      ...configFlags(),
      '--signaling',
      signaling.url,
      '--signaling-key',
      TEST_PEER_KEY,
      '--state-dir',
      edge.stateDir,
      '--route',
      `/up=${upstream.url}`,
    ]);
    expect(result.stdout).toMatch(/^ok {2}\s*config/m);
    expect(result.stdout).toMatch(/^ok {2}\s*webrtc/m);
    expect(result.stdout).toMatch(/^ok {2}\s*signaling/m);
    expect(result.stdout).toMatch(/^ok {2}\s*upstream \/up/m);
    expect(result.stdout).toContain(edge.peerId);
    expect(result.stdout).toMatch(/^ok {2}\s*paired clients\s+1 paired/m);
    expect(result.code).toBe(0);
  });

  it('fails with a table row for a dead upstream and a bad config', async () => {
    const dead = await edgeCli([
      'doctor',
      ...configFlags(),
      '--signaling',
      signaling.url,
      '--state-dir',
      dir,
      '--route',
      `/gone=http://127.0.0.1:${deadPort}`,
    ]);
    expect(dead.code).toBe(1);
    expect(dead.stdout).toMatch(/^FAIL\s+upstream \/gone\s+.*ECONNREFUSED/m);
    const noMedia = await edgeCli([
      'doctor',
      ...configFlags(),
      '--signaling',
      signaling.url,
      '--state-dir',
      dir,
      '--media-dir',
      join(dir, 'missing'),
    ]);
    expect(noMedia.code).toBe(1);
    expect(noMedia.stdout).toMatch(/^FAIL\s+media folder\s+.*ENOENT/m);
    const bad = await edgeCli(['doctor', ...configFlags(), '--state-dir', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL\s+config\s+invalid configuration.*signaling: required/m);
  });
});

describe('peerfetch fetch, interrupted', () => {
  it('on Ctrl-C cancels the request, says goodbye so the edge ends the session at once, and exits 130', async () => {
    const upstreamClosed = upstream.nextClose('/drip');
    const { child, result } = startClientCli(['fetch', '--device', edge.peerId, '/up/drip'], {
      configHome: dir,
    });
    // The first chunk arrived: the request is open on the device.
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('first chunk')) resolve();
      });
    });
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const done = await result;
    expect(done.code).toBe(130);
    expect(done.stderr).toBe('peerfetch: interrupted (SIGINT)\n');
    // Without the goodbye the edge would find out only when its pings went unanswered (15 s).
    await nextGoodbye(edge, interruptedAt);
    await upstreamClosed; // the cancel reached the upstream
  });
});

describe('peerfetch fetch uploads', () => {
  it('streams -d @file as the body and prints the answer', async () => {
    const file = join(dir, 'upload.bin');
    const data = patternBytes(3 * 1024 * 1024 + 17);
    await writeFile(file, data);
    const result = await runClientCli(
      ['fetch', '--device', edge.peerId, '-d', `@${file}`, '/up/sha256'],
      { configHome: dir },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString())).toEqual({
      bytes: data.length,
      sha256: sha256(data),
    });
  });

  it('sends -X with an inline body and custom headers', async () => {
    const result = await runClientCli(
      [
        'fetch',
        '--device',
        edge.peerId,
        '-X',
        'PUT',
        '-H',
        'X-Color: blue',
        '-d',
        'inline body',
        '-i',
        '/up/echo',
      ],
      { configHome: dir },
    );
    const text = result.stdout.toString();
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('x-echo-color: blue');
    expect(text).toContain('x-method: PUT');
    expect(text.endsWith('\r\n\r\ninline body')).toBe(true);
  });

  it('-v tells the path the bytes took, the status and the timings; the edge logs the same path', async () => {
    const args = ['fetch', '-v', '--device', edge.peerId, '/up/bytes?n=100000'];
    const result = await runClientCli(args, {
      configHome: dir,
    });
    expect(result.code).toBe(0);
    const took = '(\\d+ms|[\\d.]+s)';
    // Loopback in a private namespace: host candidates on both sides.
    expect(result.stderr.toString()).toMatch(
      new RegExp(
        `^\\* connected to device ${edge.peerId} in ${took}: direct on your network, round trip [\\d.]+ ms\\n` +
          `\\* 200 OK in ${took}\\n\\* body: 100 kB in ${took} \\([\\d.]+ [kMG]?B/s\\)\\n$`,
      ),
    );
    const opened = await edge.waitForLog((l) => l.msg === 'session opened' && l.path !== undefined);
    expect(opened.path).toBe('direct');
  });

  it('fetches from the only paired device when --device is left out', async () => {
    const result = await runClientCli(['fetch', '/up/echo'], { configHome: dir });
    expect(result.stderr.toString()).toBe('');
    expect(result.code).toBe(0);
  });

  it('answers a usage mistake with one line and a hint, exit 2, and tells its --version', async () => {
    const bad = await runClientCli(['fetch', '--signaling', 'notaurl', '/x'], { configHome: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.toString()).toBe(
      "error: option '--signaling <url>' argument 'notaurl' is invalid. Give the http:// or https:// address of the signaling server, like https://peerfetch.example.org.\n(run `peerfetch --help` for usage)\n",
    );
    const missing = await runClientCli(['fetch'], { configHome: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr.toString().trim().split('\n')).toHaveLength(2);
    const version = await runClientCli(['--version'], { configHome: dir });
    expect(version.code).toBe(0);
    expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('says when nothing answers at the signaling address', async () => {
    const result = await runClientCli(
      ['fetch', '--signaling', 'http://127.0.0.1:9', '--timeout', '5000', '/x'],
      { configHome: dir },
    );
    expect(result.code).toBe(7);
    expect(result.stderr.toString()).toBe(
      'peerfetch: cannot register with http://127.0.0.1:9: nothing answers there (check the address, and that the server is running)\n',
    );
  });

  it('-o FILE on a terminal draws a progress bar on stderr; the file is byte-exact', async () => {
    const size = 8 * 1024 * 1024;
    const file = join(dir, 'download.bin');
    const command = [CLIENT_MAIN, 'fetch', '-o', file, `/up/bytes?n=${size}`]
      .map((a) => `'${a}'`)
      .join(' ');
    // script(1) gives the CLI a pseudo-terminal, so stderr is a TTY as in a shell.
    const { stdout } = await run(
      'script',
      ['-qfec', `'${process.execPath}' ${command}`, '/dev/null'],
      {
        env: {
          PATH: process.env.PATH,
          PEERFETCH_SIGNALING_KEY: TEST_PEER_KEY,
          XDG_CONFIG_HOME: dir,
        },
        timeout: 30_000,
      },
    );
    expect(stdout).toMatch(/100% \| 8\.39 MB of 8\.39 MB \| [\d.]+ [kM]?B\/s/);
    expect(sha256(await readFile(file))).toBe(sha256(patternBytes(size)));
    // Without a terminal, nothing but the body is written.
    const quiet = await runClientCli(['fetch', '-o', file, `/up/bytes?n=${size}`], {
      configHome: dir,
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr.toString()).toBe('');
  });

  it('gives up on a hung device at the default timeout and says what happened', async () => {
    // SIGSTOP: the edge stays registered with signaling (its socket is open) but answers nothing.
    edge.process.kill('SIGSTOP');
    try {
      const result = await runClientCli(['fetch', '/up/echo'], { configHome: dir });
      expect(result.code).toBe(7);
      expect(result.stderr.toString()).toMatch(
        /^peerfetch: could not open a connection to device edge-\w+ within 10 s: the device did not answer/,
      );
      expect(result.stderr.toString().trim().split('\n')).toHaveLength(1);
    } finally {
      edge.process.kill('SIGCONT');
    }
  });

  it('refuses a malformed header with exit code 2', async () => {
    const result = await runClientCli(['fetch', '--device', edge.peerId, '-H', 'nocolon', '/x'], {
      configHome: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/must look like "Name: value"/);
  });
});
