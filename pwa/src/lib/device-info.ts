import { formatBytes, formatDuration } from './format';

/** One fact on the dashboard. `meter` (0..1) draws a bar for usage values. */
export interface InfoFact {
  label: string;
  value: string;
  meter?: number;
  hint?: string;
}

export interface InfoSection {
  title: string;
  facts: InfoFact[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** Keys the known sections below already show. */
const KNOWN = new Set([
  'hostname',
  'model',
  'os',
  'arch',
  'uptimeSeconds',
  'load',
  'memory',
  'disk',
  'cpuTemperatureCelsius',
  'agent',
]);

function usage(used: number, total: number): InfoFact['meter'] {
  return total > 0 ? Math.min(1, Math.max(0, used / total)) : undefined;
}

/**
 * Turns whatever `/api/device` answered into sections of facts, defensively: a missing or
 * odd field is left out, and fields this app does not know are still shown under "More".
 */
export function deviceInfoSections(info: unknown): InfoSection[] {
  if (!isObject(info)) return [];
  const sections: InfoSection[] = [];
  const system: InfoFact[] = [];
  const health: InfoFact[] = [];

  const os = isObject(info.os) ? info.os : undefined;
  if (str(info.model)) system.push({ label: 'Model', value: str(info.model)! });
  if (str(os?.name)) system.push({ label: 'Operating system', value: str(os?.name)! });
  if (str(os?.kernel)) system.push({ label: 'Kernel', value: str(os?.kernel)! });
  if (str(info.arch)) system.push({ label: 'Architecture', value: str(info.arch)! });
  if (num(info.uptimeSeconds) !== undefined)
    system.push({ label: 'Up for', value: formatDuration(num(info.uptimeSeconds)!) });

  const temp = num(info.cpuTemperatureCelsius);
  if (temp !== undefined) {
    health.push({
      label: 'CPU temperature',
      value: `${temp.toFixed(1)} °C`,
      meter: usage(temp, 85),
      hint: temp >= 80 ? 'Hot: the CPU may slow down.' : undefined,
    });
  }
  const load = isObject(info.load) ? info.load : undefined;
  const loads = ['1m', '5m', '15m'].map((k) => num(load?.[k]));
  if (loads.every((l) => l !== undefined)) {
    health.push({
      label: 'Load (1, 5, 15 min)',
      value: loads.map((l) => l!.toFixed(2)).join('  ·  '),
    });
  }
  const memory = isObject(info.memory) ? info.memory : undefined;
  const memTotal = num(memory?.totalBytes);
  const memFree = num(memory?.freeBytes);
  if (memTotal !== undefined && memFree !== undefined) {
    health.push({
      label: 'Memory',
      value: `${formatBytes(memTotal - memFree)} of ${formatBytes(memTotal)} used`,
      meter: usage(memTotal - memFree, memTotal),
    });
  }
  const disk = isObject(info.disk) ? info.disk : undefined;
  const diskTotal = num(disk?.totalBytes);
  const diskAvail = num(disk?.availableBytes) ?? num(disk?.freeBytes);
  if (diskTotal !== undefined && diskAvail !== undefined) {
    health.push({
      label: `Disk${str(disk?.path) ? ` (${disk?.path})` : ''}`,
      // The bar fills with what is used, so the words say used first (and what is left).
      value: `${formatBytes(diskTotal - diskAvail)} of ${formatBytes(diskTotal)} used · ${formatBytes(diskAvail)} free`,
      meter: usage(diskTotal - diskAvail, diskTotal),
    });
  }

  if (health.length > 0) sections.push({ title: 'Health', facts: health });
  if (system.length > 0) sections.push({ title: 'System', facts: system });

  const agent = isObject(info.agent) ? info.agent : undefined;
  if (agent) {
    const facts: InfoFact[] = [];
    if (str(agent.name) || str(agent.version))
      facts.push({
        label: 'Agent',
        value: [str(agent.name), str(agent.version)].filter(Boolean).join(' '),
      });
    if (str(agent.node)) facts.push({ label: 'Node.js', value: str(agent.node)! });
    if (facts.length > 0) sections.push({ title: 'PeerFetch agent', facts });
  }

  const extra = Object.entries(info)
    .filter(([key, value]) => !KNOWN.has(key) && value !== null && value !== undefined)
    .map(([key, value]) => ({
      label: key,
      value: typeof value === 'object' ? JSON.stringify(value) : String(value),
    }));
  if (extra.length > 0) sections.push({ title: 'More', facts: extra });
  return sections;
}

/** The hostname, if the answer has one. */
export function deviceHostname(info: unknown): string | undefined {
  return isObject(info) ? str(info.hostname) : undefined;
}
