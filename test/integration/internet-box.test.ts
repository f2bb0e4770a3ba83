/**
 * The internet in a box itself (test/helpers/internet): its NATs map ports as their kind
 * says, nothing routes out of it, shaping limits a link, and destroy() leaves nothing behind.
 * The PeerFetch tests over it (internet-paths, internet-idle) rely on all of this.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkName } from '../helpers/internet/addresses.js';
import { createInternet, type Internet } from '../helpers/internet/internet.js';
import { publicMappings } from '../helpers/internet/nat-probe.js';
import { transferRate } from '../helpers/internet/transfer-rate.js';

let internet: Internet;

beforeAll(async () => {
  internet = await createInternet();
});
afterAll(async () => {
  await internet?.destroy();
});

describe('NAT routers', () => {
  it.each([
    ['home', 'the same port for every destination'],
    ['remote', 'the same port for every destination'],
    ['cellular', 'a new port per destination'],
  ] as const)('%s gives one socket %s', async (network: NetworkName, _mapping: string) => {
    await internet.movePhone(network);
    const seen = await publicMappings(internet, 'phone');
    expect(seen).toHaveLength(2);
    const publicAddress = internet.plan.networks[network].publicAddress;
    for (const mapping of seen) expect(mapping).toMatch(new RegExp(`^${publicAddress}:\\d+$`));
    const distinctPorts = new Set(seen).size;
    expect(distinctPorts).toBe(internet.plan.networks[network].nat === 'symmetric' ? 2 : 1);
  });
});

describe('isolation', () => {
  it('has no route out of the box: the core refuses outside addresses', async () => {
    expect(await internet.exec('inet', 'ip', ['route', 'show', 'default'])).toBe('');
    // 192.0.2.1 (TEST-NET-1) is used nowhere in the box: a connection to it must fail at
    // once with the core's "unreachable", from behind a NAT as from the server host.
    const connect = `require('node:net').connect(9, '192.0.2.1')
      .on('error', (e) => { console.log(e.code); process.exit(0); })
      .on('connect', () => { console.log('connected'); process.exit(0); });`;
    for (const host of ['phone', 'edge', 'server'] as const) {
      const outcome = await internet.exec(host, process.execPath, ['-e', connect]);
      expect(outcome.trim()).toMatch(/^E(NET|HOST)UNREACH$/);
    }
  });

  it('removes every namespace it made on destroy', async () => {
    const other = await createInternet();
    const name = other.netns('phone');
    expect(await readdir('/run/netns')).toContain(name);
    await other.destroy();
    const prefix = name.slice(0, -'phone'.length);
    expect((await readdir('/run/netns')).filter((n) => n.startsWith(prefix))).toEqual([]);
  });
});

describe('shaping', () => {
  it('limits a network uplink and downlink with tbf', async () => {
    const bytes = 2_500_000; // 1 s at 20 Mbit/s
    const unshaped = await transferRate(internet, 'edge', 'up', bytes);
    await internet.shape('home', { uplinkMbit: 20, downlinkMbit: 10 });
    const up = await transferRate(internet, 'edge', 'up', bytes);
    const down = await transferRate(internet, 'edge', 'down', bytes);
    console.log(
      `unshaped ${unshaped.toFixed(0)}, up ${up.toFixed(1)}, down ${down.toFixed(1)} Mbit/s`,
    );
    expect(unshaped).toBeGreaterThan(100);
    expect(up).toBeGreaterThan(12);
    expect(up).toBeLessThan(22);
    expect(down).toBeGreaterThan(6);
    expect(down).toBeLessThan(11);
  });
});
