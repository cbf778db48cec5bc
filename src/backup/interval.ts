const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest interval accepted: a year. */
export const MAX_INTERVAL_MS = 365 * UNIT_MS.d;

/**
 * The shortest interval accepted: a second. A shorter schedule cannot finish
 * a copy of any real file before the next run is due, and would register
 * 86,400 versions a day; tests that need speed use a virtual clock instead.
 */
export const MIN_INTERVAL_MS = UNIT_MS.s;

/** A job's interval when none is given (`--interval`, `add PATH`): an hour. */
export const DEFAULT_INTERVAL_MS = UNIT_MS.h;

/**
 * Parses a length of time: a bare number is seconds (as the original program
 * asked for), or a number with a unit: `500ms`, `30s`, `5m`, `1.5h`, `1d`.
 * Returns milliseconds, or `undefined` when the text is not a positive time
 * of at most a year. Timeouts and limits use this; backup intervals have a
 * floor of their own (`parseInterval`).
 *
 * @example
 * parseDuration('500ms'); // 500
 * parseDuration('-1');    // undefined
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2]?.toLowerCase() ?? 's') as keyof typeof UNIT_MS;
  const ms = Math.round(Number(match[1]) * UNIT_MS[unit]);
  return ms > 0 && ms <= MAX_INTERVAL_MS ? ms : undefined;
}

/**
 * Parses a backup interval, as `parseDuration` does, from a second to a year.
 *
 * @example
 * parseInterval('60');  // 60_000
 * parseInterval('5m');  // 300_000
 * parseInterval('10ms'); // undefined: under a second
 */
export function parseInterval(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms >= MIN_INTERVAL_MS ? ms : undefined;
}

/** `90000` → `1m30s`, `1500` → `1.5s`: how intervals are shown back to users, never rounded. */
export function formatInterval(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, unitMs] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m]] as const) {
    if (rest >= unitMs) {
      parts.push(`${Math.floor(rest / unitMs)}${unit}`);
      rest %= unitMs;
    }
  }
  // Seconds keep their fraction (up to milliseconds), so what is shown is what runs.
  if (rest > 0) parts.push(`${Number((rest / 1_000).toFixed(3))}s`);
  return parts.join('');
}
