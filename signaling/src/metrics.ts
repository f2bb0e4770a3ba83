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
  | 'bad_address'
  | 'bad_peer_id'
  | 'id_reserved'
  | 'new_ids_per_address'
  | 'sockets_per_address'
  | 'members_per_address'
  | 'message_rate'
  | 'bad_message';

export interface SignalingMetrics {
  registry: Registry;
  joins: Counter;
  rejections: Counter<'reason'>;
  offersRelayed: Counter;
  /** Sockets that replaced an open one for the same id and token. */
  takeovers: Counter;
  reservationsEvicted: Counter;
  reservationsExpired: Counter;
}

export function createMetrics(sources: {
  peers: () => number;
  rooms: () => number;
  reservations: () => number;
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
  new Gauge({
    name: 'peerfetch_signaling_reservations',
    help: 'Peer ids reserved for their tokens, connected or not',
    registers: [registry],
    collect() {
      this.set(sources.reservations());
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
    takeovers: new Counter({
      name: 'peerfetch_signaling_takeovers_total',
      help: 'Peer sockets replaced by a new socket with the same id and token',
      registers: [registry],
    }),
    reservationsEvicted: new Counter({
      name: 'peerfetch_signaling_reservations_evicted_total',
      help: 'Reservations dropped, oldest-unseen first, to stay within MAX_RESERVATIONS',
      registers: [registry],
    }),
    reservationsExpired: new Counter({
      name: 'peerfetch_signaling_reservations_expired_total',
      help: 'Reservations dropped after RESERVATION_TTL without their id connecting',
      registers: [registry],
    }),
  };
}
