/**
 * Prometheus metrics in a registry per server instance (never prom-client's global default),
 * so several servers in one process (tests, the local stack) keep separate counts.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

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
  | 'bad_message'
  | 'store_unavailable';

/**
 * What became of a PeerJS message from a peer on this instance (with Redis): delivered here,
 * published to the instance holding its destination, queued for an absent id, dropped (a
 * LEAVE or EXPIRE for an absent id, as PeerServer does), refused by a full queue, or lost
 * because Redis was unreachable.
 */
export type RelayPath = 'local' | 'relayed' | 'queued' | 'dropped' | 'full' | 'unavailable';

export interface SignalingMetrics {
  registry: Registry;
  joins: Counter;
  rejections: Counter<'reason'>;
  offersRelayed: Counter;
  /** Sockets that replaced an open one for the same id and token. */
  takeovers: Counter;
  reservationsEvicted: Counter;
  reservationsExpired: Counter;
  /** With Redis: messages by type and {@link RelayPath}. */
  relayed: Counter<'type' | 'path'>;
  /** With Redis: seconds from one instance publishing a message to another delivering it. */
  relayLatency: Histogram<'type'>;
}

export function createMetrics(sources: {
  /** Peers connected to this instance. */
  peers: () => number;
  /** Rooms and reservations: this process's, or every instance's through Redis. */
  rooms: () => number | Promise<number>;
  reservations: () => number | Promise<number>;
  /** With Redis: 1 while it is reachable. */
  redisUp?: () => boolean;
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
    async collect() {
      await setFrom(this, sources.rooms);
    },
  });
  new Gauge({
    name: 'peerfetch_signaling_reservations',
    help: 'Peer ids reserved for their tokens, connected or not',
    registers: [registry],
    async collect() {
      await setFrom(this, sources.reservations);
    },
  });
  const { redisUp } = sources;
  if (redisUp) {
    new Gauge({
      name: 'peerfetch_signaling_redis_up',
      help: '1 while this instance reaches Redis, 0 while it does not',
      registers: [registry],
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
  }
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
    relayed: new Counter({
      name: 'peerfetch_signaling_relayed_messages_total',
      help: 'PeerJS messages from peers on this instance, by type and what became of them (Redis mode)',
      labelNames: ['type', 'path'],
      registers: [registry],
    }),
    relayLatency: new Histogram({
      name: 'peerfetch_signaling_cross_instance_relay_seconds',
      help: 'From another instance publishing a message to this one sending it to its peer',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

/** Sets a gauge from a count that Redis may fail to give: the last value stays then. */
async function setFrom(gauge: Gauge, source: () => number | Promise<number>): Promise<void> {
  try {
    gauge.set(await source());
  } catch {
    // Redis unreachable: peerfetch_signaling_redis_up says so.
  }
}
