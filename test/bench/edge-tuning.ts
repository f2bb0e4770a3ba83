/**
 * The tuning sweep on the edge's own paths: the client announces another window or frame
 * size (the frame size in use is the smaller of both HELLOs', and the window it announces
 * paces the edge's downloads to it), and each setting gets, in alternating rounds, 64 MiB
 * downloads through the HTTP upstream, a 64 MiB upload, and small GETs during a download.
 * `sweep.ts` does the same between this process and the bench peer, without the edge.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/edge-tuning.ts [--grid window|frame] [--rounds 4]
 */
import { parseArgs } from 'node:util';
import type { SessionTuning } from '@peerfetch/edge';
import { type EdgeStack, startEdgeStack } from './edge-stack.js';
import { drain } from './peer-client.js';
import { MiB, median, mibPerSecond, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    grid: { type: 'string', default: 'window' },
    rounds: { type: 'string', default: '4' },
  },
});
const KiB = 1024;
const bytes = 64 * MiB;
const settings: [string, SessionTuning][] =
  values.grid === 'frame'
    ? [256, 128, 64].map((k) => [`frames of ${k} KiB`, { maxFrameSize: k * KiB }])
    : [512, 1024, 2048].map((k) => [`window of ${k} KiB`, { window: k * KiB }]);

interface Figures {
  download: number[];
  upload: number[];
  smallDuring: number[];
}

async function measure(stack: EdgeStack, tuning: SessionTuning, into: Figures): Promise<void> {
  const session = await stack.session({ tuning });
  try {
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const received = await drain(await session.fetch(`/up/bytes?n=${bytes}`));
      if (received !== bytes) throw new Error(`download: ${received} of ${bytes} bytes`);
      into.download.push(mibPerSecond(bytes, performance.now() - started));
    }
    const started = performance.now();
    const body = new Uint8Array(bytes).fill(7);
    const uploaded = await session.fetch('/up/upload', { method: 'POST', body });
    if (!uploaded.ok) throw new Error(`upload: status ${uploaded.status}`);
    await uploaded.text();
    into.upload.push(mibPerSecond(bytes, performance.now() - started));
    let downloading = true;
    const download = session
      .fetch(`/up/bytes?n=${bytes}`)
      .then(drain)
      .finally(() => {
        downloading = false;
      });
    download.catch(() => {}); // reported by the await below
    while (downloading) {
      const t0 = performance.now();
      await (await session.fetch('/up/small?i=1')).text();
      into.smallDuring.push(performance.now() - t0);
    }
    if ((await download) !== bytes) throw new Error('download beside the small GETs: short');
  } finally {
    await session.close();
  }
}

const stack = await startEdgeStack();
try {
  const figures = settings.map((): Figures => ({ download: [], upload: [], smallDuring: [] }));
  for (let round = 0; round < Number(values.rounds); round++)
    for (const [k, [, tuning]] of settings.entries()) await measure(stack, tuning, figures[k]!);
  console.log(
    '| client setting | download MiB/s | upload MiB/s | small GET during download p50 / p99 ms |',
  );
  console.log('|---|---|---|---|');
  for (const [k, [label]] of settings.entries()) {
    const { download, upload, smallDuring } = figures[k]!;
    console.log(
      `| ${label} | ${median(download).toFixed(1)} | ${median(upload).toFixed(1)} | ` +
        `${percentile(smallDuring, 50).toFixed(1)} / ${percentile(smallDuring, 99).toFixed(1)} |`,
    );
  }
} finally {
  await stack.stop();
}
process.exit(0);
