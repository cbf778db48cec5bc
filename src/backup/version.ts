/**
 * What identifies a source file's state without reading it: if all of these
 * are unchanged since the newest version, the file is taken as unchanged (the
 * same test restic and borg make). Nanosecond fields are decimal strings so the
 * catalog stays plain JSON.
 */
export interface SourceFingerprint {
  readonly size: number;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly ino: string;
  readonly dev: string;
}

/** One registered backup version: complete, fsynced and verified before it was recorded. */
export interface BackupVersion {
  /** `<jobId>@<seq>`. */
  readonly id: string;
  readonly jobId: string;
  /** Increases by one per version of a job; part of the file name. */
  readonly seq: number;
  /** Absolute path of the copy. */
  readonly path: string;
  readonly size: number;
  /** Hex SHA-256 of the copy's bytes. */
  readonly sha256: string;
  /** When the copy started, on the host's clock (ms since the epoch). */
  readonly createdAt: number;
  /** The source as it was when copied, or when last found unchanged since. */
  readonly source: SourceFingerprint;
}

export function sameFingerprint(a: SourceFingerprint, b: SourceFingerprint): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}
