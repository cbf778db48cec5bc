const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest interval accepted: a year. */
export const MAX_INTERVAL_MS = 365 * UNIT_MS.d;

/**
 * Parses a backup interval: a bare number is seconds (as the original program
 * asked for), or a number with a unit: `500ms`, `30s`, `5m`, `1.5h`, `1d`.
 * Returns milliseconds, or `undefined` when the text is not a positive
 * interval of at most a year.
 *
 * @example
 * parseInterval('60');  // 60_000
 * parseInterval('5m');  // 300_000
 * parseInterval('-1');  // undefined
 */
export function parseInterval(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2]?.toLowerCase() ?? 's') as keyof typeof UNIT_MS;
  const ms = Math.round(Number(match[1]) * UNIT_MS[unit]);
  return ms > 0 && ms <= MAX_INTERVAL_MS ? ms : undefined;
}

/** `90000` → `1m30s`: how intervals are shown back to users. */
export function formatInterval(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= seconds) {
      parts.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return parts.join('');
}
