/** One line of the report: a figure, its target, and whether this run met it. */
export interface TargetRow {
  scenario: string;
  /** The subject's figure and the baseline's, formatted for the table. */
  subject: string;
  baseline: string;
  /** The figure the target is about (a ratio, a latency), formatted. */
  figure: string;
  target: string;
  met: boolean | null;
}

export function toMarkdown(rows: TargetRow[]): string {
  const lines = [
    '| scenario | PeerFetch | baseline | figure | target | met |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const met = r.met === null ? '—' : r.met ? 'met' : '**missed**';
    lines.push(
      `| ${r.scenario} | ${r.subject} | ${r.baseline} | ${r.figure} | ${r.target} | ${met} |`,
    );
  }
  return lines.join('\n');
}

export function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}
