/**
 * The edge on arm64: a release installed by install.sh for arm64 (`npm ci --omit=dev
 * --cpu=arm64`), run by Node's arm64 build under qemu-user, registers with the signaling
 * server on this x64 machine, pairs with the x64 `peerfetch` client and serves over WebRTC
 * with the arm64 builds of @roamhq/wrtc and sharp. Emulated, so its rate is a smoke figure.
 * The first run downloads the arm64 packages and Node into TEST_CACHE (see helpers/release.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arm64Node, installForArm64 } from '../helpers/arm64.js';
import { removeStateDir, runClientCli, type StartedEdge, startEdge } from '../helpers/edge.js';
import { pairCli, pairingWindowOf } from '../helpers/pairing.js';
import { packRelease } from '../helpers/release.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

/** Big enough for a rate, small enough for an emulated CPU. */
const BLOB_BYTES = 4 * 1024 * 1024;
/** qemu-user starts Node and loads wrtc slowly: minutes on a busy machine, cold cache first. */
const SETUP_MS = 900_000;

let root: string;
let signaling: StartedSignaling;
let edge: StartedEdge;
let installOutput: string;
const blob = randomBytes(BLOB_BYTES);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-arm64-'));
  const media = join(root, 'media');
  await mkdir(media);
  await writeFile(join(media, 'blob.bin'), blob);
  const png = await sharp({
    create: { width: 320, height: 240, channels: 3, background: '#225588' },
  })
    .png()
    .toBuffer();
  await writeFile(join(media, 'photo.png'), png);
  signaling = await startSignaling();
  const release = await packRelease(join(root, 'release'));
  const dest = join(root, 'pi');
  installOutput = await installForArm64(release, dest, signaling.url);
  edge = await startEdge({
    signalingUrl: signaling.url,
    node: await arm64Node(),
    edgeMain: join(dest, 'opt/peerfetch/edge/dist/cli/edge.js'),
    mediaDir: media,
    // The supervisor would re-exec process.execPath, an arm64 binary that this x64 kernel
    // cannot start without binfmt_misc; the serving process is the same code either way.
    supervised: false,
    startTimeoutMs: 240_000,
  });
  const paired = await pairCli(
    signaling.url,
    edge,
    join(root, 'config'),
    (await pairingWindowOf(edge)).code,
  );
  if (paired.code !== 0) throw new Error(`pairing with the arm64 edge failed: ${paired.stderr}`);
}, SETUP_MS);

afterAll(async () => {
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  await signaling?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const fetchCli = (...args: string[]) =>
  runClientCli(['fetch', '--device', edge.peerId, ...args], {
    configHome: join(root, 'config'),
    timeoutMs: 300_000,
  });

describe('the edge on arm64 (qemu-user)', () => {
  it('was installed from the lockfile with the arm64 binaries only', async () => {
    expect(installOutput).toMatch(/added \d+ packages/);
    const modules = join(root, 'pi/opt/peerfetch/node_modules');
    const has = async (path: string) =>
      readFile(join(modules, path, 'package.json')).then(
        () => true,
        () => false,
      );
    expect(await has('@roamhq/wrtc-linux-arm64')).toBe(true);
    expect(await has('@img/sharp-linux-arm64')).toBe(true);
    expect(await has('@roamhq/wrtc-linux-x64')).toBe(false);
    expect(await has('@types/qrcode')).toBe(false);
  });

  it('runs as arm64 and answers a paired x64 client over WebRTC', async () => {
    const result = await fetchCli('/api/device');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString()).arch).toBe('arm64');
  });

  it('streams a file (smoke rate) and makes a thumbnail with arm64 sharp', async () => {
    const out = join(root, 'blob.out');
    const t0 = performance.now();
    const result = await fetchCli('-o', out, '/api/media/blob.bin');
    const seconds = (performance.now() - t0) / 1000;
    expect(result.code, result.stderr).toBe(0);
    const got = await readFile(out);
    expect(createHash('sha256').update(got).digest('hex')).toBe(
      createHash('sha256').update(blob).digest('hex'),
    );
    console.info(
      `[arm64 smoke] ${BLOB_BYTES / 2 ** 20} MiB in ${seconds.toFixed(1)} s: ${(BLOB_BYTES / 2 ** 20 / seconds).toFixed(2)} MiB/s (emulated; includes the client's start and session authentication)`,
    );
    const thumb = await fetchCli('/api/media/photo.png/thumbnail?w=64');
    expect(thumb.code, thumb.stderr).toBe(0);
    const meta = await sharp(thumb.stdout).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.width).toBe(64);
  });
});
