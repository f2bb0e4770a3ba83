/**
 * A home-style NAT router in a namespace: nftables masquerade on its `wan` interface, and a
 * firewall that drops unsolicited inbound packets. Also link shaping (`tc tbf`; `netem` is
 * not in these kernels) and NAT mapping timeouts.
 */
import type { NatKind } from './addresses.js';
import { runIn, sysctl } from './netns.js';

/** The router's interfaces: `wan` towards the internet, `lan` the bridge of its hosts. */
export const WAN_DEV = 'wan';
export const LAN_DEV = 'lan';

/**
 * The ruleset. Inbound from the WAN passes only for established or related flows, in the
 * forward chain (to the hosts) and the input chain (to the router itself): an unsolicited
 * packet must never get a conntrack entry, or Linux NAT gives the next outbound flow of that
 * port a different public port, and hole punching fails in ways real routers do not cause.
 */
export function natRuleset(nat: NatKind): string {
  const masquerade = nat === 'symmetric' ? 'masquerade random' : 'masquerade';
  const dropUnsolicited = `
    iifname "${WAN_DEV}" ct state established,related accept
    iifname "${WAN_DEV}" drop`;
  return `
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${WAN_DEV}" ${masquerade}
  }
}
table ip filter {
  chain input {
    type filter hook input priority filter; policy accept;${dropUnsolicited}
  }
  chain forward {
    type filter hook forward priority filter; policy accept;${dropUnsolicited}
  }
}
`;
}

export interface RouterOptions {
  nat: NatKind;
  /**
   * How long an idle UDP mapping lives, seconds (both conntrack UDP timeouts). Default: the
   * kernel's (30 s for one-way flows, 120 s for flows that saw replies).
   */
  udpTimeoutSeconds?: number;
}

/** Turns namespace `netns` (with `wan` and `lan` already set up) into a NAT router. */
export async function configureRouter(netns: string, options: RouterOptions): Promise<void> {
  await sysctl(netns, { 'net.ipv4.ip_forward': 1 });
  await runIn(netns, 'nft', ['-f', '-'], { input: natRuleset(options.nat) });
  if (options.udpTimeoutSeconds !== undefined) {
    await sysctl(netns, {
      'net.netfilter.nf_conntrack_udp_timeout': options.udpTimeoutSeconds,
      'net.netfilter.nf_conntrack_udp_timeout_stream': options.udpTimeoutSeconds,
    });
  }
}

/** A router's conntrack UDP timeouts as the kernel has them, seconds. */
export async function udpTimeouts(netns: string): Promise<{ oneWay: number; stream: number }> {
  const read = async (key: string) => Number((await runIn(netns, 'sysctl', ['-n', key])).trim());
  return {
    oneWay: await read('net.netfilter.nf_conntrack_udp_timeout'),
    stream: await read('net.netfilter.nf_conntrack_udp_timeout_stream'),
  };
}

/**
 * Limits what leaves `dev` to `mbit` Mbit/s with a token bucket. The bucket holds 10 ms of
 * traffic (at least 16 KiB), and up to 100 ms may queue before packets drop.
 */
export async function shapeLink(netns: string, dev: string, mbit: number): Promise<void> {
  const burstBytes = Math.max(16 * 1024, Math.ceil((mbit * 1e6) / 8 / 100));
  await runIn(netns, 'tc', [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${mbit}mbit`,
    'burst',
    String(burstBytes),
    'latency',
    '100ms',
  ]);
}
