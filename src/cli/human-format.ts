/**
 * Sizes and times as a person reads them: `1.5 MiB`, `3 min ago
 * (2026-11-28 01:02:03)`. Pure: "now" and the time zone are passed in, so
 * tests fix them.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Bytes in binary units, three significant figures at most.
 *
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  // Trailing zeros say nothing: 1.50 KiB is 1.5 KiB.
  return `${Number(value.toFixed(digits))} ${UNITS[unit]}`;
}

/**
 * A duration in its largest one or two units: `45 s`, `3 min`, `2 h 5 min`, `3 d 4 h`.
 *
 * @example
 * formatDuration(7_500_000); // '2 h 5 min'
 */
export function formatDuration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 1) return `${Math.round(Math.abs(ms))} ms`;
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/**
 * `2026-11-28 01:02:03` in `timeZone` (an IANA name; undefined: this machine's).
 *
 * @example
 * formatAbsolute(Date.UTC(2026, 10, 28, 1, 2, 3), 'UTC'); // '2026-11-28 01:02:03'
 */
export function formatAbsolute(ms: number, timeZone?: string): string {
  // Sweden's format is ISO 8601's, with a space for the T.
  return new Intl.DateTimeFormat('sv-SE', {
    ...(timeZone ? { timeZone } : {}),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));
}

/**
 * A moment relative to `now`, then absolute: `3 min ago (2026-11-28 01:02:03)`, `in 5 min (…)`.
 *
 * @example
 * formatWhen(now - 180_000, now, 'UTC'); // '3 min ago (2026-11-28 01:02:03)'
 */
export function formatWhen(ms: number, now: number, timeZone?: string): string {
  const delta = ms - now;
  const relative = Math.abs(delta) < 1000 ? 'now' : delta < 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(delta)}`;
  return `${relative} (${formatAbsolute(ms, timeZone)})`;
}
