import { describe, expect, it } from 'vitest';
import { deviceHostname, deviceInfoSections } from './device-info';

const sample = {
  hostname: 'kitchen-pi',
  model: 'Raspberry Pi 5 Model B Rev 1.0',
  os: { name: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.6.51', platform: 'linux' },
  arch: 'arm64',
  uptimeSeconds: 90_061,
  load: { '1m': 0.5, '5m': 0.25, '15m': 0.125 },
  memory: { totalBytes: 8 * 1024 ** 3, freeBytes: 6 * 1024 ** 3 },
  disk: {
    path: '/var/lib/peerfetch',
    totalBytes: 64 * 1024 ** 3,
    freeBytes: 40 * 1024 ** 3,
    availableBytes: 32 * 1024 ** 3,
  },
  cpuTemperatureCelsius: 81.2,
  agent: { name: 'peerfetch-edge', version: '0.1.0', node: 'v20.19.0' },
  fan: 'auto',
};

describe('deviceInfoSections', () => {
  it('turns the edge answer into labelled facts with usage meters', () => {
    const sections = deviceInfoSections(sample);
    expect(sections.map((s) => s.title)).toEqual(['Health', 'System', 'PeerFetch agent', 'More']);
    const facts = Object.fromEntries(sections.flatMap((s) => s.facts).map((f) => [f.label, f]));
    expect(facts['Up for']?.value).toBe('1 day 1 hr');
    expect(facts.Memory?.value).toBe('2.0 GiB of 8.0 GiB used');
    expect(facts.Memory?.meter).toBeCloseTo(0.25);
    expect(facts['Disk (/var/lib/peerfetch)']?.value).toBe(
      '32.0 GiB of 64.0 GiB used · 32.0 GiB free',
    );
    expect(facts['CPU temperature']?.hint).toMatch(/Hot/);
    expect(facts.fan?.value).toBe('auto');
    expect(deviceHostname(sample)).toBe('kitchen-pi');
  });
  it('leaves out what is missing or malformed instead of failing', () => {
    const sections = deviceInfoSections({
      hostname: 'x',
      model: null,
      memory: { totalBytes: 'lots' },
      cpuTemperatureCelsius: null,
      disk: null,
    });
    expect(sections.flatMap((s) => s.facts)).toEqual([]);
    expect(deviceInfoSections('not an object')).toEqual([]);
    expect(deviceHostname(42)).toBeUndefined();
  });
});
