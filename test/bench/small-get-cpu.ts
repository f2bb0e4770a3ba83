/**
 * CPU per small GET, by process and thread, one request at a time over WebRTC: the raw echo,
 * the raw echo of the upstream's answer (the bench peer fetches it: `raw-proxy.ts`), and
 * PeerFetch through the same upstream served by the bench peer and by the edge. For each:
 * wall time, the server's main thread, the server's whole process (its network threads and
 * V8's helpers too) and this process (the client), in ms per request, from /proc and
 * `process.cpuUsage()`. Alternated rounds.
 *
 *   bash test/run-in-netns.sh npx tsx test/bench/small-get-cpu.ts [--requests 1500] [--rounds 2]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { smallBody } from './bench-upstream.js';
import { openComparison } from './comparison.js';
import { startEdgeStack } from './edge-stack.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1500' },
    rounds: { type: 'string', default: '2' },
  },
});
const REQUESTS = Number(values.requests);
const TICKS_MS = 10; // /proc counts CPU in clock ticks of 10 ms (USER_HZ 100)

/** CPU ms of a thread (`/proc/pid/task/tid/stat`) or a whole process (`/proc/pid/stat`). */
function cpuMs(path: string): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICKS_MS;
}

// A media folder, so the bench peer's PeerFetch also serves the edge's handlers at `/up`.
const stack = await startEdgeStack({ mediaFiles: { 'note.txt': new Uint8Array(128) } });
const comparison = await openComparison(stack).catch(async (error) => {
  await stack.stop();
  throw error;
});
async function text(response: Promise<Response>, i: number) {
  if ((await (await response).text()) !== smallBody(i))
    throw new Error(`GET ${i}: unexpected body`);
}
try {
  const { raw, direct, session } = comparison;
  const benchPid = comparison.benchPeer.process.pid!;
  const edgePid = stack.edge.process.pid!;
  const paths: [string, number, () => Promise<unknown>][] = [
    ['raw echo', benchPid, () => raw.echo()],
    ["raw echo of the upstream's answer", benchPid, () => raw.upstreamEcho(1)],
    ['PeerFetch via upstream, bench peer', benchPid, () => text(direct.fetch('/up/small?i=1'), 1)],
    ['PeerFetch via upstream, edge', edgePid, () => text(session.fetch('/up/small?i=1'), 1)],
  ];
  console.log('ms per request: wall, server main thread, server process, client process');
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, pid, run] of paths) {
      for (let i = 0; i < 100; i++) await run();
      const main = `/proc/${pid}/task/${pid}/stat`;
      const all = `/proc/${pid}/stat`;
      const [main0, all0, client0, wall0] = [
        cpuMs(main),
        cpuMs(all),
        process.cpuUsage(),
        performance.now(),
      ];
      for (let i = 0; i < REQUESTS; i++) await run();
      const client = process.cpuUsage(client0);
      const per = (ms: number) => (ms / REQUESTS).toFixed(3);
      console.log(
        `${name.padEnd(36)} ${per(performance.now() - wall0)}  ${per(cpuMs(main) - main0)}  ${per(cpuMs(all) - all0)}  ${per((client.user + client.system) / 1000)}`,
      );
    }
  }
} finally {
  await comparison.close();
  await stack.stop();
}
process.exit(0);
