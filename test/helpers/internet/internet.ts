/**
 * An internet in a box for tests: network namespaces joined by veth pairs and bridges, NAT
 * routers made with nftables, a server host, an edge at home and a phone that can move
 * between networks. The plan and a diagram are in addresses.ts. Needs root; nothing in it
 * has a route to the machine's own network, and destroy() removes every namespace it made.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { INTERNET_PLAN, NETWORK_NAMES, type NetworkName } from './addresses.js';
import {
  addBridge,
  addNamespace,
  addressInterface,
  addVeth,
  attachToBridge,
  commandIn,
  deleteNamespace,
  IP,
  NetworkCommandError,
  newRunPrefix,
  type RunOptions,
  run,
  runIn,
  setDefaultRoute,
  sweepStaleNamespaces,
  sysctl,
} from './netns.js';
import { configureRouter, LAN_DEV, shapeLink, WAN_DEV } from './router.js';

/** A machine in the box: the internet's core, a server, a NAT router, the edge or the phone. */
export type HostName = 'inet' | 'server' | 'edge' | 'phone' | NetworkName;

export interface InternetOptions {
  /** The network the phone starts on. Default `home`. */
  phoneOn?: NetworkName;
  /** Idle UDP mapping lifetime in every router, seconds. Default: the kernel's (30 / 120 s). */
  natUdpTimeoutSeconds?: number;
}

export interface LinkRates {
  /** From the network to the internet (a home uplink), Mbit/s. */
  uplinkMbit?: number;
  /** From the internet to the network's hosts, Mbit/s. */
  downlinkMbit?: number;
}

export interface Internet {
  readonly plan: typeof INTERNET_PLAN;
  /** The namespace of a host, for `ip netns exec` (unique to this box). */
  netns(host: HostName): string;
  /** Starts a process inside a host (`ip netns exec NS file args`). */
  spawn(host: HostName, file: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside a host to the end and resolves with its stdout. */
  exec(host: HostName, file: string, args: string[], options?: RunOptions): Promise<string>;
  /** The network the phone is on now. */
  phoneNetwork(): NetworkName;
  /** Moves the phone: its other interfaces go down, this one comes up with the default route. */
  movePhone(network: NetworkName): Promise<void>;
  /** Limits a network's link to the internet (`tc tbf` on its router). */
  shape(network: NetworkName, rates: LinkRates): Promise<void>;
  /** Deletes every namespace of the box; stop the processes in it first. */
  destroy(): Promise<void>;
}

/** The phone's interface into each network. */
export const PHONE_INTERFACES: Record<NetworkName, string> = {
  home: 'wifi-home',
  cellular: 'cellular',
  remote: 'wifi-remote',
};

/** Builds the box; on any failure removes what it had made and rethrows. */
export async function createInternet(options: InternetOptions = {}): Promise<Internet> {
  if (process.getuid?.() !== 0) throw new NetworkCommandError('the internet in a box needs root');
  await sweepStaleNamespaces();
  const prefix = newRunPrefix();
  const netns = (host: HostName) => `${prefix}${host}`;
  const created: string[] = [];
  const destroy = async () => {
    for (const name of created.splice(0).reverse()) await deleteNamespace(name);
  };
  let phoneOn: NetworkName = options.phoneOn ?? 'home';

  const movePhone = async (network: NetworkName) => {
    const phone = netns('phone');
    for (const other of NETWORK_NAMES.filter((n) => n !== network)) {
      await run(IP, ['-n', phone, 'addr', 'flush', 'dev', PHONE_INTERFACES[other]]);
      await run(IP, ['-n', phone, 'link', 'set', PHONE_INTERFACES[other], 'down']);
    }
    const plan = INTERNET_PLAN.networks[network];
    await addressInterface(phone, PHONE_INTERFACES[network], `${plan.phone}/${plan.prefixLength}`);
    await setDefaultRoute(phone, plan.gateway);
    phoneOn = network;
  };

  try {
    for (const host of ['inet', 'server', 'edge', 'phone', ...NETWORK_NAMES] as const) {
      await addNamespace(netns(host));
      created.push(netns(host));
    }
    await buildCore(netns);
    for (const network of NETWORK_NAMES) await buildNetwork(netns, network, options);
    await movePhone(phoneOn);
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    plan: INTERNET_PLAN,
    netns,
    spawn: (host, file, args, spawnOptions = {}) =>
      spawn(...commandIn(netns(host), file, args), spawnOptions),
    exec: (host, file, args, runOptions) => runIn(netns(host), file, args, runOptions),
    phoneNetwork: () => phoneOn,
    movePhone,
    async shape(network, rates) {
      if (rates.uplinkMbit) await shapeLink(netns(network), WAN_DEV, rates.uplinkMbit);
      if (rates.downlinkMbit) await shapeLink(netns(network), LAN_DEV, rates.downlinkMbit);
    },
    destroy,
  };
}

/** The internet's core router with its two segments, and the server host on one of them. */
async function buildCore(netns: (host: HostName) => string): Promise<void> {
  const inet = netns('inet');
  const { dc, isp } = INTERNET_PLAN;
  await addBridge(inet, 'dc', `${dc.gateway}/${dc.prefixLength}`);
  await addBridge(inet, 'isp', `${isp.gateway}/${isp.prefixLength}`);
  await sysctl(inet, { 'net.ipv4.ip_forward': 1 });
  await addVeth({ netns: netns('server'), dev: 'eth0' }, { netns: inet, dev: 'server' });
  await attachToBridge(inet, 'server', 'dc');
  await addressInterface(netns('server'), 'eth0', `${INTERNET_PLAN.server}/${dc.prefixLength}`);
  await setDefaultRoute(netns('server'), dc.gateway);
}

/** A network: its NAT router on the isp segment, its LAN bridge, and its hosts' links. */
async function buildNetwork(
  netns: (host: HostName) => string,
  network: NetworkName,
  options: InternetOptions,
): Promise<void> {
  const router = netns(network);
  const plan = INTERNET_PLAN.networks[network];
  const { isp } = INTERNET_PLAN;
  await addVeth({ netns: router, dev: WAN_DEV }, { netns: netns('inet'), dev: network });
  await attachToBridge(netns('inet'), network, 'isp');
  await addressInterface(router, WAN_DEV, `${plan.publicAddress}/${isp.prefixLength}`);
  await setDefaultRoute(router, isp.gateway);
  await addBridge(router, LAN_DEV, `${plan.gateway}/${plan.prefixLength}`);
  await configureRouter(router, { nat: plan.nat, udpTimeoutSeconds: options.natUdpTimeoutSeconds });
  // The phone's interface into this network starts down; movePhone brings one up.
  await addVeth(
    { netns: netns('phone'), dev: PHONE_INTERFACES[network] },
    { netns: router, dev: 'phone' },
  );
  await attachToBridge(router, 'phone', LAN_DEV);
  if (network === 'home') {
    await addVeth({ netns: netns('edge'), dev: 'eth0' }, { netns: router, dev: 'edge' });
    await attachToBridge(router, 'edge', LAN_DEV);
    await addressInterface(netns('edge'), 'eth0', `${INTERNET_PLAN.edge}/${plan.prefixLength}`);
    await setDefaultRoute(netns('edge'), plan.gateway);
  }
}
