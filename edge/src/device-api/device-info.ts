/**
 * `GET /api/device`: what a Raspberry Pi owner wants to see at a glance. Values that the
 * hardware does not expose (model, temperature) are null rather than guessed.
 */
import { readdir, readFile, statfs } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';

/** Where the kernel exposes hardware facts; overridable so tests can use a fake tree. */
export interface DeviceInfoPaths {
  /** Default `/proc/device-tree/model` (present on a Raspberry Pi). */
  model: string;
  /** Default `/sys/class/thermal`. */
  thermal: string;
  /** Default `/etc/os-release`. */
  osRelease: string;
}

export const DEFAULT_DEVICE_INFO_PATHS: DeviceInfoPaths = {
  model: '/proc/device-tree/model',
  thermal: '/sys/class/thermal',
  osRelease: '/etc/os-release',
};

export interface DeviceInfo {
  hostname: string;
  model: string | null;
  os: { name: string; kernel: string; platform: string };
  arch: string;
  uptimeSeconds: number;
  load: { '1m': number; '5m': number; '15m': number };
  memory: { totalBytes: number; freeBytes: number };
  disk: { path: string; totalBytes: number; freeBytes: number; availableBytes: number } | null;
  cpuTemperatureCelsius: number | null;
  agent: { name: string; version: string; node: string };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The device-tree model string ends with a NUL byte. */
async function readModel(path: string): Promise<string | null> {
  const text = await readText(path);
  const model = text?.replace(/\0/g, '').trim();
  return model ? model : null;
}

async function readOsName(path: string): Promise<string> {
  const text = (await readText(path)) ?? '';
  const line = text.split('\n').find((l) => l.startsWith('PRETTY_NAME='));
  const value = line?.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '').trim();
  return value || `${os.type()} ${os.release()}`;
}

/** The CPU zone when one is labelled so (`cpu-thermal` on a Pi), else the first zone. */
async function readCpuTemperature(dir: string): Promise<number | null> {
  let zones: string[];
  try {
    zones = (await readdir(dir)).filter((z) => z.startsWith('thermal_zone')).sort();
  } catch {
    return null;
  }
  const readings: { type: string; celsius: number }[] = [];
  for (const zone of zones) {
    const raw = await readText(join(dir, zone, 'temp'));
    const milli = Number(raw?.trim());
    if (raw === undefined || !Number.isFinite(milli)) continue;
    const type = ((await readText(join(dir, zone, 'type'))) ?? '').trim();
    readings.push({ type, celsius: Math.round(milli / 100) / 10 });
  }
  const cpu = readings.find((r) => /cpu|soc|x86_pkg/i.test(r.type)) ?? readings[0];
  return cpu ? cpu.celsius : null;
}

async function readDisk(path: string): Promise<DeviceInfo['disk']> {
  try {
    const s = await statfs(path);
    return {
      path,
      totalBytes: s.blocks * s.bsize,
      freeBytes: s.bfree * s.bsize,
      availableBytes: s.bavail * s.bsize,
    };
  } catch {
    return null;
  }
}

export interface DeviceInfoOptions {
  /** The state directory: its volume is the disk reported. */
  stateDir: string;
  /** Agent version reported as `agent.version`. */
  version: string;
  paths?: Partial<DeviceInfoPaths>;
}

export async function collectDeviceInfo(options: DeviceInfoOptions): Promise<DeviceInfo> {
  const paths = { ...DEFAULT_DEVICE_INFO_PATHS, ...options.paths };
  const [model, osName, temperature, disk] = await Promise.all([
    readModel(paths.model),
    readOsName(paths.osRelease),
    readCpuTemperature(paths.thermal),
    readDisk(options.stateDir),
  ]);
  const [l1, l5, l15] = os.loadavg();
  return {
    hostname: os.hostname(),
    model,
    os: { name: osName, kernel: os.release(), platform: os.platform() },
    arch: os.arch(),
    uptimeSeconds: Math.round(os.uptime()),
    load: { '1m': l1 ?? 0, '5m': l5 ?? 0, '15m': l15 ?? 0 },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    disk,
    cpuTemperatureCelsius: temperature,
    agent: { name: 'peerfetch-edge', version: options.version, node: process.version },
  };
}
