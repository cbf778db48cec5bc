// Formatting for the status page: sizes in KiB/MiB/GiB, times relative and absolute.

/** null or undefined: a value the service did not have. */
export function absent(value) {
  return value === null || value === undefined;
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; whole bytes below 1 KiB. */
export function formatBytes(bytes) {
  if (absent(bytes)) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} ${value === 1 ? 'byte' : 'bytes'}` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** 95_000 → "1 min 35 s"; 250 → "250 ms". */
export function formatDuration(ms) {
  if (absent(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A time from now: "3 min ago", "in 20 s". */
export function formatRelative(at, now) {
  const delta = at - now;
  const text = formatDuration(Math.abs(delta)).replace(/ \d+ (s|min)$/, '');
  if (Math.abs(delta) < 1000) return 'now';
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

/** A local date and time, to the second. */
export function formatAbsolute(at) {
  const d = new Date(at);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
