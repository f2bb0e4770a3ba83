import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chooseDevice,
  DevicesError,
  devicesPath,
  findDevice,
  readDevices,
  readOrCreateDevices,
  withDevice,
  writeDevices,
} from './devices-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-devices-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const device = (id: string, name: string) => ({
  id,
  name,
  signalingUrl: 'http://127.0.0.1:9000',
  key: Buffer.alloc(32, 3).toString('base64'),
  pairedAt: new Date().toISOString(),
});

describe('devices store', () => {
  it('lives under XDG_CONFIG_HOME, or ~/.config', () => {
    expect(devicesPath({ XDG_CONFIG_HOME: '/x/conf' })).toBe('/x/conf/peerfetch/devices.json');
    expect(devicesPath({})).toBe(join(homedir(), '.config', 'peerfetch', 'devices.json'));
    expect(devicesPath({ XDG_CONFIG_HOME: 'relative' })).toBe(
      join(homedir(), '.config', 'peerfetch', 'devices.json'),
    );
  });

  it('keeps one client identity and the devices, in a 0600 file', async () => {
    const path = devicesPath({ XDG_CONFIG_HOME: dir });
    const fresh = await readDevices(path);
    expect(fresh.client.id).toMatch(/^client[0-9a-f]{24}$/);
    const file = withDevice(withDevice(fresh, device('edge-a', 'Pi')), device('edge-a', 'Pi 2'));
    await writeDevices(path, file);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await readDevices(path);
    expect(again.client).toEqual(fresh.client);
    expect(again.devices.map((d) => d.name)).toEqual(['Pi 2']);
  });

  it('saves a new client identity before first use, and keeps it after', async () => {
    const path = devicesPath({ XDG_CONFIG_HOME: dir });
    const created = await readOrCreateDevices(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(created);
    expect((await readOrCreateDevices(path)).client).toEqual(created.client);
    expect((await readDevices(path)).client).toEqual(created.client);
  });

  it('finds by id or unique name and explains otherwise', () => {
    const file = {
      version: 1 as const,
      client: { id: `client${'0'.repeat(24)}`, token: 'x'.repeat(16) },
      devices: [device('edge-a', 'Pi'), device('edge-b', 'Pi'), device('edge-c', 'NAS')],
    };
    expect(findDevice(file, 'edge-b').id).toBe('edge-b');
    expect(findDevice(file, 'NAS').id).toBe('edge-c');
    expect(() => findDevice(file, 'Pi')).toThrow(/several paired devices are named "Pi"/);
    expect(() => findDevice(file, 'toaster')).toThrow(DevicesError);
  });

  it('takes the only paired device when none is named, and lists them when there are several', () => {
    const client = { id: `client${'0'.repeat(24)}`, token: 'x'.repeat(16) };
    const one = { version: 1 as const, client, devices: [device('edge-a', 'Pi')] };
    expect(chooseDevice(one, undefined).id).toBe('edge-a');
    expect(chooseDevice(one, 'Pi').id).toBe('edge-a');
    expect(() => chooseDevice({ ...one, devices: [] }, undefined)).toThrow(
      /no device is paired yet/,
    );
    const two = { ...one, devices: [device('edge-a', 'Pi'), device('edge-b', 'NAS')] };
    expect(() => chooseDevice(two, undefined)).toThrow(
      /several devices are paired; choose one with --device:\n {2}edge-a {2}Pi\n {2}edge-b {2}NAS/,
    );
  });

  it('refuses a corrupt file', async () => {
    const path = join(dir, 'devices.json');
    await writeFile(path, 'nope');
    await expect(readDevices(path)).rejects.toThrow(/is corrupt/);
    expect(await readFile(path, 'utf8')).toBe('nope');
  });
});
