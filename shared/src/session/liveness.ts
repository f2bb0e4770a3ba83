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
    if (silentFor >= pingIntervalMs * 0.8 || rttAge >= pingIntervalMs * 2) {
      const id = this.#nextPingId;
      this.#nextPingId = (this.#nextPingId % 0xffff_ffff) + 1;
      // Only the few most recent pings matter for RTT; forget older ones.
      if (this.#pingsInFlight.size > 8) this.#pingsInFlight.clear();
      this.#pingsInFlight.set(id, Date.now());
      this.#options.sendPing(id);
    }
    const untilDead = this.#options.deadAfterMs - silentFor;
    this.#arm(Math.min(this.#jittered(), untilDead));
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
