/**
 * Uploads onto a full disk, for real: the media folder is a 4 MiB tmpfs in a mount
 * namespace of its own (test/helpers/tmpfs.ts). An upload the disk cannot hold gets 507,
 * before reading when its length says so and mid-stream otherwise, and leaves nothing.
 */
import { mkdtemp, readdir, readFile, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MediaEdge,
  type MediaStack,
  startMediaStack,
  unsizedBody,
} from '../helpers/media-edge.js';
import type { ClientSession } from '../helpers/pairing.js';
import { type HeldTmpfs, holdTmpfs } from '../helpers/tmpfs.js';

const isRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;
const DISK_BYTES = 4 * MiB;

let stack: MediaStack;
let hostDir: string;
let disk: HeldTmpfs;
let media: MediaEdge;
let client: ClientSession;

const freeBytes = async () => {
  const fs = await statfs(disk.path);
  return fs.bavail * fs.bsize;
};

describe.skipIf(!isRoot)('uploads onto a full disk', () => {
  beforeAll(async () => {
    hostDir = await mkdtemp(join(tmpdir(), 'pf-upload-full-'));
    disk = await holdTmpfs(hostDir, DISK_BYTES);
    // The edge runs in the disk's namespace: it resolves real paths, which /proc/<pid>/root
    // would lead back out of the tmpfs.
    stack = await startMediaStack(hostDir, { node: [...disk.enter, process.execPath] });
    ({ media, client } = stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    disk?.release();
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  });

  it('answers 507 before reading when the declared length does not fit', async () => {
    const response = await client.fetch('/api/media/declared.bin', {
      method: 'PUT',
      body: new Uint8Array(2 * DISK_BYTES),
    });
    expect(response.status).toBe(507);
    expect(await response.json()).toMatchObject({
      title: 'Insufficient Storage',
      detail: expect.stringMatching(/^the device has \d+ bytes free, the upload needs 8388608$/),
    });
    expect(await readdir(disk.path)).toEqual([]);
  });

  it('answers 507 when the disk fills mid-upload, and keeps nothing', async () => {
    const before = await freeBytes();
    const since = Date.now();
    const upload = unsizedBody(2 * DISK_BYTES);
    const response = await client.fetch('/api/media?name=streamed.bin', {
      method: 'POST',
      ...upload.init,
    });
    expect(response.status).toBe(507);
    expect(((await response.json()) as { detail: string }).detail).toBe(
      'the device ran out of storage; nothing of the upload was kept',
    );
    // The disk really filled: more was sent than it holds, and the edge saw ENOSPC.
    expect(upload.sent()).toBeGreaterThan(before);
    const failed = await media.edge.waitForLog(
      (l) => l.msg === 'request failed' && l.status === 507 && Number(l.time) >= since,
    );
    expect(failed.path).toBe('/api/media');
    expect(await readdir(disk.path)).toEqual([]);
    expect(await freeBytes()).toBe(before);
    expect(media.edge.running()).toBe(true);
  });

  it('takes an upload that fits once there is room', async () => {
    const response = await client.fetch('/api/media/fits.txt', { method: 'PUT', body: 'fits' });
    expect(response.status).toBe(201);
    expect(await readFile(join(disk.path, 'fits.txt'), 'utf8')).toBe('fits');
  });
});
