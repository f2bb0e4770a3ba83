/**
 * Does a second SCTP stream skip the queue of the first? A design question for head-of-line
 * delay: on one ordered channel a small answer waits behind every byte of a download already
 * handed to the channel. Here, with no protocol at all: the bench peer sends a raw download
 * (the shared send policy: frames of the session's size, its high-water mark) and echoes
 * 128-byte messages, alternately on the download's own channel and on a second, negotiated
 * channel of the same peer connection. p50/p99 of the echo in each case, and on an idle
 * connection.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/lanes.ts [--mib 64] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import type { DataChannelLike } from '@peerfetch/shared';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { startSignaling } from '../helpers/signaling.js';
import { RawOp, SECOND_CHANNEL } from './bench-protocol.js';
import { defaultPolicy } from './node-throughput.js';
import { openRaw, startBenchPeer } from './peer-client.js';
import { MiB, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
  },
});
const bytes = Number(values.mib) * MiB;

/** Round trip of a 128-byte message on `channel`, ignoring anything else arriving there. */
function echo(channel: DataChannelLike): Promise<number> {
  const message = new Uint8Array(128);
  message[0] = RawOp.echo;
  const started = performance.now();
  return new Promise((resolve) => {
    const onMessage = (event: unknown) => {
      if ((event as MessageEvent<ArrayBuffer>).data.byteLength !== 128) return;
      channel.removeEventListener('message', onMessage);
      resolve(performance.now() - started);
    };
    channel.addEventListener('message', onMessage);
    channel.send(message);
  });
}

const signaling = await startSignaling();
const benchPeer = await startBenchPeer(signaling.port);
const { peer } = await createNodePeer({ port: signaling.port });
try {
  // Chromium and wrtc both announce 256 KiB messages: the session's default frame size.
  const raw = await openRaw(peer, benchPeer.id, defaultPolicy(262_144), { secondChannel: true });
  const main = raw.connection.dataChannel as unknown as DataChannelLike;
  const pc = raw.connection.peerConnection as unknown as RTCPeerConnection;
  const second = pc.createDataChannel(SECOND_CHANNEL.label, {
    negotiated: true,
    id: SECOND_CHANNEL.id,
  });
  second.binaryType = 'arraybuffer';
  if (second.readyState !== 'open')
    await new Promise((resolve) => second.addEventListener('open', resolve, { once: true }));
  const lane = second as unknown as DataChannelLike;
  const samples: Record<string, number[]> = { idle: [], 'same channel': [], 'second channel': [] };
  for (let i = 0; i < 50; i++) samples.idle!.push(await echo(main), await echo(lane));
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [name, channel] of [
      ['same channel', main],
      ['second channel', lane],
    ] as const) {
      let downloading = true;
      const download = raw.download(bytes).finally(() => {
        downloading = false;
      });
      while (downloading) samples[name]!.push(await echo(channel));
      await download;
    }
  }
  for (const [name, list] of Object.entries(samples)) {
    console.log(
      `${name.padEnd(16)} p50 ${percentile(list, 50).toFixed(2)} ms, p99 ${percentile(list, 99).toFixed(2)} ms (${list.length})`,
    );
  }
  second.close();
  raw.close();
} finally {
  peer.destroy();
  await benchPeer.stop();
  await signaling.stop();
}
process.exit(0);
