/**
 * Summarizes V8 `.cpuprofile`s (from `node --cpu-prof`, or Chromium's `Profiler` through
 * CDP): self time by function and by package, so a missed target can be traced to where the
 * time goes. `summarizeProfiles` adds several up into one summary.
 *
 *   npx tsx test/bench/cpu-profile-summary.ts FILE.cpuprofile... [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** V8's pseudo-functions: not code of any package, shown as themselves. */
const PSEUDO = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/**
 * The package (or `node:` internal, or native) a script URL belongs to. Page scripts are
 * served by path (browser-download.ts `bundlePage(true)`), so the same rules apply to them.
 */
export function packageOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  // Playwright's page.evaluate wrappers: the bench driving the page.
  if (url.includes('playwright')) return 'playwright (driver)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  // Rollup's wrappers around CommonJS modules (PeerJS's `sdp`) and its helpers.
  if (url.includes('/_virtual/')) return 'bundler CommonJS wrappers';
  const m = url.match(/\/(shared|edge|signaling)\/(dist|src)\/|\/(test)\//);
  return m ? `@peerfetch/${m[1] ?? m[3]}` : url;
}

/** Where one profile's time went, in microseconds. */
export interface ProfileTotals {
  totalUs: number;
  idleUs: number;
  /** Lengths of the runs of consecutive non-idle samples: about the tasks that ran. */
  busyStretchesUs: number[];
}

export function totalsOf(profile: Profile): ProfileTotals {
  const idleIds = new Set(
    profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
  );
  let idleUs = 0;
  let stretch = 0;
  const busyStretchesUs: number[] = [];
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    if (!idleIds.has(id)) stretch += us;
    else {
      idleUs += us;
      if (stretch > 0) busyStretchesUs.push(stretch);
      stretch = 0;
    }
  });
  if (stretch > 0) busyStretchesUs.push(stretch);
  return { totalUs: profile.endTime - profile.startTime, idleUs, busyStretchesUs };
}

export async function summarizeProfiles(files: string[], top = 25): Promise<string> {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    total += profile.endTime - profile.startTime;
    for (const [id, us] of selfUs) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      const where = url
        ? `${url.replace(/^.*\/(node_modules|work\/main)\/|^https?:\/\/[^/]+\//, '')}:${lineNumber + 1}`
        : '';
      const key = `${functionName || '(anonymous)'} ${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const pkg = PSEUDO.has(functionName) ? functionName : packageOf(url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;
  const lines = [
    `${files.length === 1 ? `profile ${files[0]}` : `${files.length} profiles`}: ${(total / 1e6).toFixed(1)} s`,
    '',
    'by package:',
  ];
  for (const [k, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15))
    lines.push(`  ${pct(us).padStart(7)}  ${k}`);
  lines.push('', 'by function (self):');
  for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(us).padStart(7)}  ${k}`);
  return lines.join('\n');
}

export function summarizeProfile(file: string, top = 25): Promise<string> {
  return summarizeProfiles([file], top);
}

if (process.argv[1]?.endsWith('cpu-profile-summary.ts')) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  for (const file of positionals) console.log(await summarizeProfile(file, Number(values.top)));
}
