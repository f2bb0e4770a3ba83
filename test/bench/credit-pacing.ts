/**
 * Is the download gap PeerFetch's code or credit-based pacing itself over wrtc? 64 MiB from
 * the bench peer over the raw DataChannel, free-running (the baseline) and paced by a
 * window as PeerFetch paces a body (no protocol code at all), beside PeerFetch from the edge
 * and PeerFetch from the bench peer (the same shared code without the edge process).
 * Alternating, several repetitions.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/credit-pacing.ts [--mib 64] [--repetitions 3] [--plain]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_WINDOW } from '@peerfetch/shared';
import { createNodePeer } from '../helpers/peerjs-node.js';
import { startEdgeStack } from './edge-stack.js';
import { defaultPolicy } from './node-throughput.js';
import { drain, openPeerFetch, openRaw, startBenchPeer } from './peer-client.js';
import { MiB, mibPerSecond, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    repetitions: { type: 'string', default: '3' },
    /** Run the edge without its systemd unit's memory settings. */
    plain: { type: 'boolean', default: false },
  },
});
const bytes = Number(values.mib) * MiB;
// The same bytes as a file in the media folder: the edge's own device API, no HTTP hop.
const mediaDir = await mkdtemp(join(tmpdir(), 'pf-bench-media-'));
await writeFile(join(mediaDir, 'clip.mp4'), new Uint8Array(bytes).fill(7));
const stack = await startEdgeStack({ serviceSettings: !values.plain, mediaDir });
const benchPeer = await startBenchPeer(stack.signaling.port);
const samples: Record<string, number[]> = {};
const note = (name: string, ms: number) => {
  samples[name] ??= [];
  samples[name].push(mibPerSecond(bytes, ms));
};
try {
  const { peer } = await createNodePeer({ port: stack.signaling.port });
  const session = await stack.session();
  const pc = session.connection.peerConnection as unknown as { sctp?: { maxMessageSize?: number } };
  const raw = await openRaw(peer, benchPeer.id, defaultPolicy(pc.sctp?.maxMessageSize ?? 65536));
  // The same shared session code with default tuning, served by the bench peer (no edge).
  const direct = await openPeerFetch(peer, benchPeer.id, {}, {});
  for (let i = 0; i < Number(values.repetitions); i++) {
    note('raw', await raw.download(bytes));
    note(
      `raw, window ${DEFAULT_WINDOW / 1024} KiB`,
      await raw.windowedDownload(bytes, DEFAULT_WINDOW),
    );
    note('raw, window 1024 KiB', await raw.windowedDownload(bytes, 1024 * 1024));
    const started = performance.now();
    const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
    if (received !== bytes) throw new Error(`PeerFetch: ${received} of ${bytes} bytes`);
    note('PeerFetch from the edge', performance.now() - started);
    const fileStarted = performance.now();
    const fileBytes = await drain(await session.fetch('/api/media/clip.mp4'));
    if (fileBytes !== bytes) throw new Error(`PeerFetch file: ${fileBytes} of ${bytes} bytes`);
    note('PeerFetch from the edge, device API file', performance.now() - fileStarted);
    const directStarted = performance.now();
    // 64 KiB source chunks, as an HTTP or file stream gives the edge.
    const directBytes = await drain(await direct.fetch(`/bytes?n=${bytes}&chunk=65536`));
    if (directBytes !== bytes) throw new Error(`PeerFetch: ${directBytes} of ${bytes} bytes`);
    note('PeerFetch from the bench peer (no edge)', performance.now() - directStarted);
  }
  raw.close();
  direct.close();
  await session.close();
  for (const [name, list] of Object.entries(samples)) {
    const s = summarize(list);
    console.log(
      `${name}: median ${s.median.toFixed(1)} MiB/s, samples ${list.map((v) => v.toFixed(1)).join(', ')}`,
    );
  }
} finally {
  await benchPeer.stop();
  await stack.stop();
  await rm(mediaDir, { recursive: true, force: true });
}
process.exit(0);
