/**
 * Keeps a session honest about being alive: pings the peer when nothing has arrived for a
 * while, measures round-trip time from the pongs, and declares the session dead when
 * nothing at all has arrived within the dead timeout. A side whose peer always pings first
 * still pings now and then, so both sides know the round-trip time.
 */
export interface LivenessOptions {
  pingIntervalMs: number;
  deadAfterMs: number;
  sendPing(id: number): void;
  onDead(silentForMs: number): void;
}

export class Liveness {
  readonly #options: LivenessOptions;
  #lastReceived = Date.now();
  /** When our last pong arrived (or we started): our RTT is this old. */
  #lastPong = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextPingId = 1;
  readonly #pingsInFlight = new Map<number, number>();
  #rttMs: number | undefined;
  /** Pending probe() calls, each told as soon as anything arrives. */
  readonly #probes = new Set<(alive: boolean) => void>();

  constructor(options: LivenessOptions) {
    this.#options = options;
  }

  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  start(): void {
    this.#lastReceived = Date.now();
    this.#lastPong = this.#lastReceived;
    this.#arm(this.#jittered());
  }

  /** Anything from the peer proves it is alive. */
  received(): void {
    this.#lastReceived = Date.now();
    if (this.#probes.size > 0) this.#settleProbes(true);
  }

  /**
   * Whether the peer still answers now (after a network change, say): pings at once and
   * resolves true as soon as anything arrives from the peer, false if nothing does within
   * `timeoutMs` (or the session stops first).
   */
  probe(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (alive: boolean) => {
        clearTimeout(timer);
        this.#probes.delete(settle);
        resolve(alive);
      };
      this.#probes.add(settle);
      this.#ping();
    });
  }

  pong(id: number): void {
    const sentAt = this.#pingsInFlight.get(id);
    if (sentAt === undefined) return;
    this.#pingsInFlight.delete(id);
    this.#lastPong = Date.now();
    this.#rttMs = this.#lastPong - sentAt;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pingsInFlight.clear();
    this.#settleProbes(false);
  }

  #settleProbes(alive: boolean): void {
    for (const settle of [...this.#probes]) settle(alive);
  }

  #tick(): void {
    const silentFor = Date.now() - this.#lastReceived;
    if (silentFor >= this.#options.deadAfterMs) {
      this.stop();
      this.#options.onDead(silentFor);
      return;
    }
    const { pingIntervalMs } = this.#options;
    const rttAge = Date.now() - this.#lastPong;
    if (silentFor >= pingIntervalMs * 0.8 || rttAge >= pingIntervalMs * 2) this.#ping();
    const untilDead = this.#options.deadAfterMs - silentFor;
    this.#arm(Math.min(this.#jittered(), untilDead));
  }

  #ping(): void {
    const id = this.#nextPingId;
    this.#nextPingId = (this.#nextPingId % 0xffff_ffff) + 1;
    // Only the few most recent pings matter for RTT; forget older ones.
    if (this.#pingsInFlight.size > 8) this.#pingsInFlight.clear();
    this.#pingsInFlight.set(id, Date.now());
    this.#options.sendPing(id);
  }

  #arm(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), Math.max(1, delayMs));
  }

  /** ±20 % so that many sessions started together do not ping in lockstep. */
  #jittered(): number {
    return this.#options.pingIntervalMs * (0.8 + Math.random() * 0.4);
  }
}
