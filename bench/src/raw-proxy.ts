/**
 * The same-source raw baselines: the bench peer moves the bytes the edge moves (the bench
 * upstream's answers over `node:http` with a keep-alive agent, as the edge's upstream route
 * does; a file read into reused frame buffers, as the device API does) over the bare
 * DataChannel with the shared send policy, and no protocol. PeerFetch against these is the
 * protocol's cost alone; against the in-memory raw baselines it is the protocol plus the
 * source's own I/O, which the raw sender does not pay.
 */
import { open } from 'node:fs/promises';
import { Agent, get, type IncomingMessage, request } from 'node:http';
import type { DataChannelLike } from '@peerfetch/shared';
import { type SendPolicy, waitForDrain } from './raw-channel.js';

const agent = new Agent({ keepAlive: true });

/** Resolves with the upstream's answer to a GET (rejects on an HTTP error status). */
function getUpstream(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      if (response.statusCode === 200) resolve(response);
      else reject(new Error(`upstream answered ${response.statusCode} to ${url}`));
    }).on('error', reject);
  });
}

/** Packs chunks into frames of the policy's size in one reused buffer (wrtc copies on send). */
class FramePacker {
  readonly #frame: Uint8Array<ArrayBuffer>;
  #filled = 0;
  constructor(
    private readonly channel: DataChannelLike,
    frameSize: number,
  ) {
    this.#frame = new Uint8Array(frameSize);
  }
  /** Adds `chunk`, sending every frame it fills. */
  push(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.byteLength; ) {
      const n = Math.min(this.#frame.byteLength - this.#filled, chunk.byteLength - at);
      this.#frame.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === this.#frame.byteLength) this.flush();
    }
  }
  flush(): void {
    if (this.#filled === 0) return;
    this.channel.send(this.#frame.subarray(0, this.#filled));
    this.#filled = 0;
  }
}

/** GET `url` from the upstream and send its body as frames; pauses the socket above the mark. */
export async function proxyDownload(
  channel: DataChannelLike,
  url: string,
  policy: SendPolicy,
): Promise<void> {
  const response = await getUpstream(url);
  const packer = new FramePacker(channel, policy.frameSize);
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (channel.readyState !== 'open') throw new Error('channel closed while sending');
    packer.push(chunk);
    if (channel.bufferedAmount > policy.highWaterMark) await waitForDrain(channel, policy);
  }
  packer.flush();
}

/** Reads `bytes` of the file at `path` into one reused frame buffer and sends each frame. */
export async function sendFile(
  channel: DataChannelLike,
  path: string,
  bytes: number,
  policy: SendPolicy,
): Promise<void> {
  const file = await open(path, 'r');
  try {
    const frame = new Uint8Array(policy.frameSize);
    for (let sent = 0; sent < bytes; ) {
      if (channel.readyState !== 'open') throw new Error('channel closed while sending');
      if (channel.bufferedAmount > policy.highWaterMark) {
        await waitForDrain(channel, policy);
        continue;
      }
      const wanted = Math.min(frame.byteLength, bytes - sent);
      const { bytesRead } = await file.read(frame, 0, wanted, sent);
      if (bytesRead === 0) throw new Error(`${path} ended after ${sent} of ${bytes} bytes`);
      channel.send(frame.subarray(0, bytesRead));
      sent += bytesRead;
    }
  } finally {
    await file.close();
  }
}

/**
 * An upload of `bytes` to the upstream: `write` each message as it arrives, `end` after the
 * last; `done` resolves once the upstream has counted exactly `bytes`.
 */
export function proxyUpload(url: string, bytes: number) {
  const outgoing = request(url, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/octet-stream', 'content-length': bytes },
  });
  const done = new Promise<IncomingMessage>((resolve, reject) => {
    outgoing.once('response', resolve).once('error', reject);
  }).then(async (response) => {
    const text = new TextDecoder().decode(await readAll(response));
    const counted = (JSON.parse(text) as { bytes: number }).bytes;
    if (counted !== bytes) throw new Error(`the upstream counted ${counted} of ${bytes} bytes`);
  });
  return {
    write: (data: Uint8Array) => outgoing.write(data),
    end: () => outgoing.end(),
    done,
  };
}

/** The whole body of an upstream's answer. */
async function readAll(message: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Buffer[] = [];
  for await (const part of message as AsyncIterable<Buffer>) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

/** GET `url` from the upstream and resolve with its whole body. */
export async function fetchSmall(url: string): Promise<Uint8Array<ArrayBuffer>> {
  return readAll(await getUpstream(url));
}
