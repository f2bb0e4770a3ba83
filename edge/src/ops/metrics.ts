/**
 * The edge's Prometheus metrics: what it is doing now (read from its status at each scrape)
 * and what it has done (requests, sessions, refused authentications), plus Node's own
 * process metrics. Labels are bounded: routes come from the config, reasons from enums.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EdgeStatus } from '../main.js';

export interface EdgeMetrics {
  readonly registry: Registry;
  /** Requests answered, by route prefix and status class (2xx, 4xx…). */
  readonly requests: Counter<'route' | 'status'>;
  /** Time from a request's arrival to its answer's head, by route prefix. */
  readonly requestSeconds: Histogram<'route'>;
  /** Sessions that authenticated. */
  readonly sessionsOpened: Counter;
  /** Authentications refused, by reason (wrong-code, not-paired…). */
  readonly authFailures: Counter<'reason'>;
}

export function createEdgeMetrics(status: () => EdgeStatus): EdgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'peerfetch_edge_' });
  const registers = [registry];
  const now = (name: string, help: string, value: (s: EdgeStatus) => number) =>
    new Gauge({
      name: `peerfetch_edge_${name}`,
      help,
      registers,
      collect() {
        this.set(value(status()));
      },
    });
  now('sessions', 'Client sessions open now', (s) => s.sessions);
  now('paired_clients', 'Clients paired with this edge', (s) => s.pairedClients);
  now(
    'pending_connections',
    'Connections admitted that have not authenticated yet',
    (s) => s.signaling.pendingConnections,
  );
  now('signaling_joined', '1 while registered with the signaling server', (s) =>
    s.signaling.state === 'joined' ? 1 : 0,
  );
  now('pairing_window_open', '1 while new clients can pair', (s) =>
    s.pairingOpenUntil === null ? 0 : 1,
  );
  new Counter({
    name: 'peerfetch_edge_signaling_dropped_total',
    help: 'Relayed signaling messages the guard dropped, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(status().signaling.dropped))
        this.inc({ reason }, count);
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'peerfetch_edge_requests_total',
      help: 'Requests answered, by route prefix and status class',
      labelNames: ['route', 'status'],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'peerfetch_edge_request_seconds',
      help: "Time from a request's arrival to its answer's head, by route prefix",
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    sessionsOpened: new Counter({
      name: 'peerfetch_edge_sessions_opened_total',
      help: 'Client sessions that authenticated',
      registers,
    }),
    authFailures: new Counter({
      name: 'peerfetch_edge_auth_failures_total',
      help: 'Authentications refused, by reason',
      labelNames: ['reason'],
      registers,
    }),
  };
}
