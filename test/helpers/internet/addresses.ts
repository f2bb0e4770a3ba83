/**
 * The address plan of the internet in a box. Public addresses come from the documentation
 * ranges (RFC 5737), which never appear on the real internet; private ranges exist only
 * inside the box's own namespaces.
 *
 *                 ┌─────────────────── inet (the internet: routes, no way out) ───────────────────┐
 *                 │ dc 203.0.113.1/24                               isp 198.51.100.1/24           │
 *                 └──┬─────────────────────────────────────┬─────────────────┬─────────────────┬──┘
 *       server 203.0.113.10                  home router .10    cellular router .20   remote router .30
 *       signaling, coturn (STUN+TURN)        cone NAT           symmetric NAT         cone NAT
 *                                            192.168.1.1/24     10.64.0.1/24          172.16.5.1/24
 *                                             ├ edge .10             │                     │
 *                                             └ phone wifi .20   phone cell .20      phone remote .20
 *
 * The phone is one namespace with an interface into each of the three networks, only one of
 * them up at a time.
 */

/** The networks a phone can be on; each sits behind its own NAT router. */
export type NetworkName = 'home' | 'cellular' | 'remote';

/** How a router maps ports. */
export type NatKind =
  /** Endpoint-independent mapping: one public port per local socket, whatever the destination. */
  | 'cone'
  /** A new random public port per destination (`masquerade random`), as carrier NATs do. */
  | 'symmetric';

export interface NetworkPlan {
  nat: NatKind;
  /** The router's public address, on the isp segment. */
  publicAddress: string;
  /** The router's address inside, which is the hosts' gateway. */
  gateway: string;
  prefixLength: number;
  /** The phone's address when it is on this network. */
  phone: string;
}

export const INTERNET_PLAN = {
  /** Segment of the servers: the server host and the internet's router address on it. */
  dc: { gateway: '203.0.113.1', prefixLength: 24 },
  /** Segment of the routers' WAN sides. */
  isp: { gateway: '198.51.100.1', prefixLength: 24 },
  /** The server host: signaling server and coturn. */
  server: '203.0.113.10',
  /** The edge's host, on the home network. */
  edge: '192.168.1.10',
  networks: {
    home: {
      nat: 'cone',
      publicAddress: '198.51.100.10',
      gateway: '192.168.1.1',
      prefixLength: 24,
      phone: '192.168.1.20',
    },
    cellular: {
      nat: 'symmetric',
      publicAddress: '198.51.100.20',
      gateway: '10.64.0.1',
      prefixLength: 24,
      phone: '10.64.0.20',
    },
    remote: {
      nat: 'cone',
      publicAddress: '198.51.100.30',
      gateway: '172.16.5.1',
      prefixLength: 24,
      phone: '172.16.5.20',
    },
  } satisfies Record<NetworkName, NetworkPlan>,
} as const;

export const NETWORK_NAMES = Object.keys(INTERNET_PLAN.networks) as NetworkName[];
