/**
 * Abrupt closes against the built edge. @roamhq/wrtc frees a native channel on its
 * signaling thread when a close completes, while the edge's JavaScript may be inside `send`
 * on it: SIGSEGV in `RTCDataChannel::Send` (docs/SECURITY.md, Notes).
 *
 * Each trial: a paired Node client starts a 1 GiB download through the edge's HTTP upstream,
 * reads 1–9 MiB of it, then closes its RTCPeerConnection, with no goodbye unless `goodbyeMs`
 * is given. A trial counts as abrupt only when the client's own messages hold no GOAWAY and
 * the body was still arriving on an open channel when it closed.
 *
 * Without a supervisor a crash is a dead edge (counted, and a fresh stack started). Under
 * its supervisor a crash is a restarted serving process: counted, with the time until the
 * edge is registered again under the same id and the time until a paired client's GET
 * through a new session completes.
 */
import { FrameType } from '@peerfetch/shared';
import { framesOf } from '@peerfetch/shared/testing';
import type { LogLine } from './edge.js';
import { type EdgeStack, startEdgeStack } from './edge-stack.js';
import { type ClientSession, connectClient } from './pairing.js';

const MiB = 1024 * 1024;

export interface AbruptCloseOptions {
  trials: number;
  /** Say GOAWAY this many ms before closing; abrupt (no goodbye) when left out. */
  goodbyeMs?: number;
  /**
   * The SCTP max-message-size the client advertises in its offer, so the edge sends
   * messages no larger than this. Default: wrtc's own (262144).
   */
  maxMessageSize?: number;
  /** Run the edge under its supervisor (as shipped). Default true. */
  supervised?: boolean;
  log?: (line: string) => void;
}

export interface Recovery {
  /** From the supervisor seeing the crash to the new process registered under the same id. */
  registeredMs: number;
  /** From the crash to a paired client's GET through a new session completing. */
  requestMs: number;
}

export interface AbruptCloseResult {
  trials: number;
  /** Trials that were really abrupt: no GOAWAY sent, the body mid-transfer on an open channel. */
  abrupt: number;
  /** Trials cut short by a crash before the client closed (a late crash of an earlier close). */
  interrupted: number;
  /** The edge process died (under a supervisor: the supervisor itself). */
  deaths: number;
  /** Serving processes that crashed and were restarted by the supervisor. */
  crashes: number;
  recoveries: Recovery[];
  /** The largest message the edge sent in any trial, bytes. */
  largestMessage: number;
}

/** The log line the supervisor writes when the serving process dies of a signal. */
export const CRASH_MESSAGE = 'serving process crashed';

/** Time for the edge to act on the close (or die of it) before the next trial. */
const SETTLE_MS = 300;
/** Longest wait for a restarted edge to serve again; far beyond the 3 s target. */
const RECOVERY_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes this process's WebRTC offers advertise `size` as their max-message-size. */
async function advertiseMaxMessageSize(size: number): Promise<void> {
  const mod = (await import('@roamhq/wrtc')) as unknown as typeof import('@roamhq/wrtc') & {
    default?: typeof import('@roamhq/wrtc');
  };
  const proto = (mod.default ?? mod).RTCPeerConnection.prototype;
  const createOffer = proto.createOffer;
  proto.createOffer = async function withMaxMessageSize(
    this: RTCPeerConnection,
    ...args: unknown[]
  ) {
    const offer = await (
      createOffer as (...a: unknown[]) => Promise<RTCSessionDescriptionInit>
    ).apply(this, args);
    const sdp = offer.sdp?.replace(/a=max-message-size:\d+/g, `a=max-message-size:${size}`);
    return { type: offer.type, sdp };
  } as typeof proto.createOffer;
}

interface TrialOutcome {
  /** The client closed mid-transfer with no GOAWAY among its messages. */
  abrupt: boolean;
  /** The edge crashed before the client closed (a late crash from an earlier close). */
  interrupted: boolean;
  /** The largest message the edge sent in this trial, bytes. */
  largestMessage: number;
}

const after = (since: number, msg: string) => (line: LogLine) =>
  line.msg === msg && Number(line.time) >= since;

/** Resolves once the edge dies or logs a crash at or after `since`, until stopped. */
function watchCrash(stack: EdgeStack, since: number) {
  let timer: ReturnType<typeof setInterval> | undefined;
  const crashed = new Promise<'crashed'>((resolve) => {
    timer = setInterval(() => {
      if (!stack.edge.running() || stack.edge.logs.some(after(since, CRASH_MESSAGE)))
        resolve('crashed');
    }, 50);
  });
  return { crashed, stop: () => clearInterval(timer) };
}

/** Time for a crash to show in the edge's log after a client's call failed because of it. */
const CRASH_NOTICE_MS = 500;

async function trial(stack: EdgeStack, goodbyeMs: number | undefined): Promise<TrialOutcome> {
  const startedAt = Date.now();
  const sent: Uint8Array[] = [];
  let client: ClientSession | undefined;
  let largest = 0;
  const download = async () => {
    client = await connectClient(stack.signaling.port, stack.edge.peerId, {
      identity: { id: stack.paired.id, token: stack.paired.token },
      credentials: { key: stack.paired.key },
      record: sent,
    });
    client.connection.dataChannel.addEventListener('message', (event: MessageEvent) => {
      largest = Math.max(largest, (event.data as ArrayBuffer).byteLength);
    });
    const response = await client.fetch(`/up/bytes?n=${1024 * MiB}`);
    const reader = response.body!.getReader();
    const wanted = (1 + Math.random() * 8) * MiB;
    for (let got = 0; got < wanted; ) {
      const { done, value } = await reader.read();
      if (done) throw new Error('the download ended early');
      got += value.byteLength;
    }
    return client.connection.dataChannel?.readyState === 'open';
  };
  const watch = watchCrash(stack, startedAt);
  let midTransfer: boolean | 'crashed';
  try {
    midTransfer = await Promise.race([download(), watch.crashed]);
  } catch (error) {
    // A call that failed because the edge crashed under it is an interrupted trial.
    midTransfer = await Promise.race([watch.crashed, sleep(CRASH_NOTICE_MS)]).then((r) => {
      if (r === 'crashed') return r;
      throw error;
    });
  } finally {
    watch.stop();
  }
  const open = client as ClientSession | undefined;
  if (goodbyeMs !== undefined && midTransfer !== 'crashed') {
    open?.session.close();
    await sleep(goodbyeMs);
  }
  // Null once PeerJS has closed the connection (the edge closed the channel after GOAWAY).
  open?.connection.peerConnection?.close();
  open?.peer.destroy();
  const goAwaySent = sent.some((m) => framesOf(m).some((f) => f.type === FrameType.GoAway));
  await sleep(SETTLE_MS);
  return {
    abrupt: midTransfer === true && !goAwaySent,
    interrupted: midTransfer === 'crashed',
    largestMessage: largest,
  };
}

/** Waits for the restarted edge to serve again and a paired client's GET to complete. */
async function recover(stack: EdgeStack, crash: LogLine): Promise<Recovery> {
  const crashedAt = Number(crash.time);
  const registered = await stack.edge.waitForLog(
    (line) =>
      after(crashedAt, 'registered with signaling')(line) && line.peerId === stack.edge.peerId,
    RECOVERY_TIMEOUT_MS,
  );
  const client = await stack.session();
  try {
    const response = await client.fetch('/up/bytes?n=1024');
    const body = new Uint8Array(await response.arrayBuffer());
    if (response.status !== 200 || body.byteLength !== 1024)
      throw new Error(`GET after the restart answered ${response.status}, ${body.byteLength} B`);
  } finally {
    await client.close();
  }
  return { registeredMs: Number(registered.time) - crashedAt, requestMs: Date.now() - crashedAt };
}

export async function runAbruptCloses(options: AbruptCloseOptions): Promise<AbruptCloseResult> {
  const supervised = options.supervised ?? true;
  const log = options.log ?? (() => {});
  if (options.maxMessageSize) await advertiseMaxMessageSize(options.maxMessageSize);
  const result: AbruptCloseResult = {
    trials: options.trials,
    abrupt: 0,
    interrupted: 0,
    deaths: 0,
    crashes: 0,
    recoveries: [],
    largestMessage: 0,
  };
  let stack = await startEdgeStack({ supervised });
  try {
    let seen = stack.edge.logs.length;
    for (let i = 0; i < options.trials; i++) {
      const outcome = await trial(stack, options.goodbyeMs);
      if (outcome.abrupt) result.abrupt++;
      if (outcome.interrupted) result.interrupted++;
      result.largestMessage = Math.max(result.largestMessage, outcome.largestMessage);
      if (!stack.edge.running()) {
        result.deaths++;
        log(`trial ${i + 1}: the edge died (${stack.edge.process.signalCode ?? 'exit'})`);
        await stack.stop().catch(() => {});
        stack = await startEdgeStack({ supervised });
        seen = stack.edge.logs.length;
        continue;
      }
      const crashes = stack.edge.logs.slice(seen).filter((l) => l.msg === CRASH_MESSAGE);
      if (!crashes.length) continue;
      result.crashes += crashes.length;
      const recovery = await recover(stack, crashes.at(-1)!);
      seen = stack.edge.logs.length;
      result.recoveries.push(recovery);
      const when = outcome.interrupted ? 'before the client closed' : 'at the close';
      log(
        `trial ${i + 1}: the serving process died ${when} (${crashes.map((c) => String(c.signal)).join(', ')}); registered again after ${recovery.registeredMs} ms, a GET completed after ${recovery.requestMs} ms`,
      );
    }
  } finally {
    await stack.stop().catch(() => {});
  }
  return result;
}

/** The target: serving again under the same id within 3 s of a crash (docs/PERFORMANCE.md, targets). */
export const RECOVERY_TARGET_MS = 3000;
