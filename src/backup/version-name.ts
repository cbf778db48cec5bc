import path from 'node:path';

/**
 * The file name of a version: `<stem>.<UTC time>.<seq><ext>`, for example
 * `notes.2026-11-24T06-11-00-123Z.000042.json`. The source's extension stays
 * last so the copy opens with the same program; the zero-padded time and
 * sequence make names sort in the order the versions were made, and the
 * sequence keeps two versions made in the same millisecond apart (the original
 * service named copies by the second and overwrote one with the other).
 */
export function versionFileName(sourcePath: string, createdAt: number, seq: number): string {
  const ext = path.extname(sourcePath);
  const stem = path.basename(sourcePath, ext) || 'file';
  const time = new Date(createdAt).toISOString().replace(/:/g, '-').replace('.', '-');
  return `${stem}.${time}.${String(seq).padStart(6, '0')}${ext}`;
}

/** Prefix of in-progress copies; anything with it in a job folder is a leftover of a crash. */
export const TEMP_FILE_PREFIX = '.safekeep-partial-';

export function tempFileName(id: string): string {
  return `${TEMP_FILE_PREFIX}${id}`;
}

/**
 * The time and sequence in a version file name made by `versionFileName` for
 * this source, or null when `name` is not one (a file a user put in the
 * folder, which safekeep must leave alone).
 */
export function parseVersionFileName(sourcePath: string, name: string): { createdAt: number; seq: number } | null {
  const ext = path.extname(sourcePath);
  const stem = path.basename(sourcePath, ext) || 'file';
  if (!name.startsWith(`${stem}.`) || !name.endsWith(ext)) return null;
  const middle = name.slice(stem.length + 1, name.length - ext.length);
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.(\d{6,})$/.exec(middle);
  if (!match) return null;
  const [, day, hours, minutes, seconds, millis, seq] = match;
  const createdAt = Date.parse(`${day}T${hours}:${minutes}:${seconds}.${millis}Z`);
  if (!Number.isFinite(createdAt)) return null;
  return { createdAt, seq: Number(seq) };
}
