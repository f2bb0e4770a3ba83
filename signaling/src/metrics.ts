/**
 * Prometheus metrics in a registry per server instance (never prom-client's global default),
 * so several servers in one process (tests, the local stack) keep separate counts.
 */
import { Counter, Gauge, Registry } from 'prom-client';

/** Why a request or connection was refused, as the `reason` label. */
export type RejectionReason =
  | 'unauthorized'
  | 'bad_request'
  | 'room_full'
  | 'not_in_room'
  | 'rate_limited'
  | 'ws_rate_limited'
  | 'bad_address';

export interface SignalingMetrics {
  registry: Registry;
  joins: Counter;
  rejections: Counter<'reason'>;
  offersRelayed: Counter;
}

export function createMetrics(sources: {
  peers: () => number;
  rooms: () => number;
}): SignalingMetrics {
  const registry = new Registry();
  new Gauge({
    name: 'peerfetch_signaling_peers',
    help: 'Peers connected to the PeerJS server',
    registers: [registry],
    collect() {
      this.set(sources.peers());
    },
  });
  new Gauge({
    name: 'peerfetch_signaling_rooms',
    help: 'Rooms with at least one member',
    registers: [registry],
    collect() {
      this.set(sources.rooms());
    },
  });
  return {
    registry,
    joins: new Counter({
      name: 'peerfetch_signaling_joins_total',
      help: 'Successful room joins',
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'peerfetch_signaling_rejections_total',
      help: 'Requests and connections refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    offersRelayed: new Counter({
      name: 'peerfetch_signaling_offers_relayed_total',
      help: 'WebRTC offers relayed between peers',
      registers: [registry],
    }),
  };
}
