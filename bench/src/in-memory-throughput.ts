/**
 * PeerFetch over the in-memory channel against the same channel used raw, with no WebRTC in
 * the way. The channel delivers on timers and the process is mostly idle here (69 % in a
 * profile), so the ratio shows how the protocol's waits (credit, drain) meet a timer-paced
 * link, not its CPU cost: `request-cost.ts` and `cpu-per-mib.ts` measure that.
 */
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_FRAME_SIZE,
} from '@peerfetch/shared';
import { connectInMemory, createMemoryChannelPair } from '@peerfetch/shared/testing';
import { median, spread } from './stats.js';

const MiB = 1024 * 1024;

export interface InMemoryResult {
  scenario: string;
  sizeMiB: number;
  repetitions: number;
  rawMiBps: number;
  peerFetchMiBps: number;
  ratio: number;
  rawSpread: number;
  peerFetchSpread: number;
}

/** Raw baseline: the same frame size and high/low-water policy, no protocol. */
async function rawTransfer(bytes: number): Promise<number> {
  const [sender, receiver] = createMemoryChannelPair();
  const chunk = new Uint8Array(DEFAULT_MAX_FRAME_SIZE);
  const started = performance.now();
  const received = new Promise<void>((resolve) => {
    let total = 0;
    receiver.addEventListener('message', (event) => {
      total += (event as MessageEvent<ArrayBuffer>).data.byteLength;
      if (total >= bytes) resolve();
    });
  });
  for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
    while (sender.bufferedAmount > DEFAULT_HIGH_WATER_MARK) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (sender.bufferedAmount <= DEFAULT_LOW_WATER_MARK) break;
    }
    sender.send(chunk);
  }
  await received;
  const seconds = (performance.now() - started) / 1000;
  sender.close();
  return bytes / MiB / seconds;
}

/** A body streamed in 64 KiB views of one buffer, as an upstream's body arrives, without copies. */
function bodyStream(bytes: number): ReadableStream<Uint8Array> {
  const buffer = new Uint8Array(bytes);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      const end = Math.min(offset + 64 * 1024, bytes);
      controller.enqueue(buffer.subarray(offset, end));
      offset = end;
      if (offset >= bytes) controller.close();
    },
  });
}

async function peerFetchTransfer(bytes: number): Promise<number> {
  const connection = connectInMemory(async () => new Response(bodyStream(bytes)));
  await connection.clientSession.ready;
  const started = performance.now();
  const response = await connection.client.fetch('/download');
  let total = 0;
  for await (const part of response.body!) total += part.byteLength;
  const seconds = (performance.now() - started) / 1000;
  await connection.close();
  if (total !== bytes) throw new Error(`received ${total} of ${bytes} bytes`);
  return bytes / MiB / seconds;
}

export async function run(
  options: { sizeMiB?: number; repetitions?: number } = {},
): Promise<InMemoryResult> {
  const sizeMiB = options.sizeMiB ?? 100;
  const repetitions = options.repetitions ?? 5;
  const raw: number[] = [];
  const subject: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    raw.push(await rawTransfer(sizeMiB * MiB));
    subject.push(await peerFetchTransfer(sizeMiB * MiB));
  }
  return {
    scenario: 'in-memory download',
    sizeMiB,
    repetitions,
    rawMiBps: median(raw),
    peerFetchMiBps: median(subject),
    ratio: median(subject) / median(raw),
    rawSpread: spread(raw),
    peerFetchSpread: spread(subject),
  };
}
