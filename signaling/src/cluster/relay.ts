/**
 * Carries OFFER, ANSWER, CANDIDATE, LEAVE and EXPIRE between peers on different instances.
 *
 * Each instance subscribes to its own Redis channel; a message for a peer held elsewhere is
 * published there by one Lua script (lua.ts ROUTE) that also queues it when the peer is
 * absent, so a peer registering meanwhile cannot miss it. Messages for one destination are
 * handled one after another (a chain per id), so order per pair of peers holds across the
 * local path, Redis, and the queue. PeerServer itself never sees these messages: it would
 * queue any message for an id it does not hold and answer EXPIRE after 5 s.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { RelayPath, SignalingMetrics } from '../metrics.js';
import type { PeerDirectory } from '../peers.js';
import { relayChannel } from './keys.js';
import { ENQUEUE_SCRIPT, ROUTE, TAKE_EXPIRED_QUEUES, TAKE_QUEUE } from './lua.js';
import type { RunScript } from './redis-connection.js';

/** The PeerJS messages relayed between peers (PeerServer's own list). */
const RELAYED_TYPES = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE']);
/** Types PeerServer drops rather than queues for an absent id. */
const NOT_QUEUED = new Set(['LEAVE', 'EXPIRE']);
/** Messages kept for one absent id: a connection's offer and candidates, several times over. */
const MAX_QUEUED = 256;
/** How often queues are checked for age (PeerServer's cleanup_out_msgs). */
const SWEEP_INTERVAL_MS = 1000;
/** Queues taken per sweep, so one sweep stays short. */
const SWEEP_BATCH = 200;

export interface RelayedMessage {
  type: string;
  src: string;
  dst: string;
  payload?: unknown;
}

/** What instances publish to each other. */
type Envelope =
  | { kind: 'message'; message: RelayedMessage; sentAt: number }
  /** Another instance took this id over with its token: close the old socket here. */
  | { kind: 'kick'; id: string };

export interface Relay {
  /** Takes the relayed messages `socket` (registered as `id`) sends, before PeerServer. */
  intercept(socket: WebSocket, id: string): void;
  /** Delivers what was queued for `id` while it was absent (it just registered here). */
  deliverQueued(id: string): void;
  /** Tells `instanceId` to close its socket for `id`. */
  kick(instanceId: string, id: string): Promise<void>;
  /** Subscribes and starts the queue sweep. */
  start(): Promise<void>;
  stop(): void;
}

export interface RelayDeps {
  instanceId: string;
  subscriber: Redis;
  command: Redis;
  run: RunScript;
  peers: PeerDirectory;
  metrics: SignalingMetrics;
  logger: Logger;
  /** Milliseconds a queued message waits before its sender is told EXPIRE. */
  expireTimeoutMs: number;
  /** Closes the local socket of an id another instance took over. */
  onKick: (id: string) => void;
  now: () => number;
}

export function createRelay(deps: RelayDeps): Relay {
  const { peers, metrics, logger, run, now } = deps;
  const chains = new Map<string, Promise<void>>();
  let sweepTimer: NodeJS.Timeout | undefined;

  const count = (message: RelayedMessage, path: RelayPath) =>
    metrics.relayed.inc({ type: message.type, path });

  /** Sends to a peer held here; false when it is not. A dead socket answers LEAVE, as PeerServer. */
  function deliverLocally(message: RelayedMessage): boolean {
    const socket = peers.holderOf(message.dst)?.client.getSocket();
    if (!socket) return false;
    try {
      socket.send(JSON.stringify(message));
    } catch {
      socket.close();
      if (message.type !== 'LEAVE') {
        send({ type: 'LEAVE', src: message.dst, dst: message.src });
      }
    }
    return true;
  }

  async function route(message: RelayedMessage): Promise<void> {
    if (deliverLocally(message)) {
      count(message, 'local');
      return;
    }
    const envelope: Envelope = { kind: 'message', message, sentAt: now() };
    try {
      const path = (await run(ROUTE, [
        message.dst,
        JSON.stringify(envelope),
        JSON.stringify(message),
        now(),
        MAX_QUEUED,
        NOT_QUEUED.has(message.type) ? 0 : 1,
      ])) as RelayPath;
      count(message, path);
    } catch (error) {
      count(message, 'unavailable');
      logger.debug({ err: error, type: message.type }, 'could not relay a message');
    }
  }

  /** Runs `step` after everything already pending for `id`. */
  function chain(id: string, step: () => Promise<void>): void {
    const next = (chains.get(id) ?? Promise.resolve())
      .then(step)
      .catch((error: unknown) => logger.warn({ err: error }, 'relaying a message failed'));
    chains.set(id, next);
    next.finally(() => {
      if (chains.get(id) === next) chains.delete(id);
    });
  }

  function send(message: RelayedMessage): void {
    if (message.type === 'OFFER') metrics.offersRelayed.inc();
    if (!chains.has(message.dst) && deliverLocally(message)) {
      count(message, 'local');
      return;
    }
    chain(message.dst, () => route(message));
  }

  function received(envelope: Envelope): void {
    if (envelope.kind === 'kick') {
      deps.onKick(envelope.id);
      return;
    }
    const { message, sentAt } = envelope;
    chain(message.dst, async () => {
      if (deliverLocally(message)) {
        metrics.relayLatency.observe({ type: message.type }, (now() - sentAt) / 1000);
        return;
      }
      // The peer left between the sender's lookup and now: keep it for its return.
      if (NOT_QUEUED.has(message.type)) return;
      await run(ENQUEUE_SCRIPT, [message.dst, JSON.stringify(message), now(), MAX_QUEUED]).catch(
        (error: unknown) => logger.debug({ err: error }, 'could not queue a relayed message'),
      );
    });
  }

  async function sweep(): Promise<void> {
    const rows = (await run(TAKE_EXPIRED_QUEUES, [
      now() - deps.expireTimeoutMs,
      SWEEP_BATCH,
    ])) as string[];
    const told = new Set<string>();
    for (const row of rows) {
      const { src, dst } = JSON.parse(row) as RelayedMessage;
      const pair = JSON.stringify([src, dst]);
      if (told.has(pair)) continue;
      told.add(pair);
      // As PeerServer: the sender learns its message expired, once per pair.
      send({ type: 'EXPIRE', src: dst, dst: src });
    }
  }

  function scheduleSweep(): void {
    sweepTimer = setTimeout(() => {
      sweep()
        .catch((error: unknown) => logger.debug({ err: error }, 'queue sweep failed'))
        .finally(scheduleSweep);
    }, SWEEP_INTERVAL_MS);
    sweepTimer.unref();
  }

  return {
    intercept(socket, id) {
      const emit = socket.emit.bind(socket);
      socket.emit = ((event: string | symbol, ...args: unknown[]) => {
        if (event !== 'message') return emit(event, ...args);
        const message = relayable(args[0]);
        if (!message) return emit(event, ...args);
        send({ ...message, src: id });
        return true;
      }) as WebSocket['emit'];
    },
    deliverQueued(id) {
      chain(id, async () => {
        const rows = (await run(TAKE_QUEUE, [id]).catch((error: unknown) => {
          logger.debug({ err: error }, 'could not read the queue of a peer');
          return [];
        })) as string[];
        for (const row of rows) deliverLocally(JSON.parse(row) as RelayedMessage);
      });
    },
    async kick(instanceId, id) {
      const envelope: Envelope = { kind: 'kick', id };
      await deps.command.publish(relayChannel(instanceId), JSON.stringify(envelope));
    },
    async start() {
      deps.subscriber.on('message', (_channel: string, text: string) => {
        try {
          received(JSON.parse(text) as Envelope);
        } catch (error) {
          logger.warn({ err: error }, 'unreadable message from another instance');
        }
      });
      scheduleSweep();
      // Again at every (re)connection: a subscription that failed while Redis was down is
      // not one ioredis would renew.
      const subscribe = () =>
        deps.subscriber.subscribe(relayChannel(deps.instanceId)).catch((error: unknown) => {
          logger.debug({ err: (error as Error).message }, 'relay channel not subscribed yet');
        });
      deps.subscriber.on('ready', () => void subscribe());
      if (deps.subscriber.status === 'ready') await subscribe();
    },
    stop() {
      clearTimeout(sweepTimer);
    },
  };
}

/** The message when it is one to relay (a known type with a destination), else undefined. */
function relayable(data: unknown): Omit<RelayedMessage, 'src'> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(data));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { type, dst, payload } = parsed as Record<string, unknown>;
  if (typeof type !== 'string' || !RELAYED_TYPES.has(type)) return undefined;
  if (typeof dst !== 'string' || dst === '') return undefined;
  return { type, dst, payload };
}
