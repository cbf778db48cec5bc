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
