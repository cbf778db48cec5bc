import type { WireFigures } from './alternating-rounds.ts';

/** One line of the Performance table: a path, both sides, their ratio and the bar it is held to. */
export interface BarRow {
  readonly path: string;
  readonly safekeep: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly bar: string;
  readonly holds: string;
}

export function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export function wire(figures: WireFigures): string {
  const p50 = figures.p50Us < 1_000 ? `${figures.p50Us.toFixed(0)} µs` : `${(figures.p50Us / 1_000).toFixed(1)} ms`;
  return `${rate(figures.requestsPerSecond)} req/s, p50 ${p50}`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

/** Bold when it does not hold, so a failed bar stands out in the rendered README. */
export function holds(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}

export function markdownTable(header: readonly string[], lines: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...lines.map((cells) => `| ${cells.join(' | ')} |`)];
}

export function barTable(rows: readonly BarRow[]): string[] {
  return markdownTable(
    ['path', 'safekeep', 'baseline', 'ratio', 'bar', 'holds?'],
    rows.map((row) => [row.path, row.safekeep, row.baseline, row.ratio, row.bar, row.holds]),
  );
}
