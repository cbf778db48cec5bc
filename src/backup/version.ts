import { manifestPathOf } from './snapshot-manifest.ts';

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
  /** Absolute path of the copy (a directory job's: of its snapshot folder). */
  readonly path: string;
  /** Bytes of the copy (a snapshot's: of all its regular files). */
  readonly size: number;
  /** Hex SHA-256 of the copy's bytes (a snapshot's: of its manifest, which holds every file's). */
  readonly sha256: string;
  /** What the version is: absent for a file (records made before directory jobs have none). */
  readonly kind?: 'file' | 'directory';
  /** A snapshot's regular files. */
  readonly fileCount?: number;
  /** A snapshot's source entries that were sockets, fifos or devices, left out (their paths are in its manifest). */
  readonly skippedCount?: number;
  /** When the copy started, on the host's clock (ms since the epoch). */
  readonly createdAt: number;
  /** The source as it was when copied, or when last found unchanged since. */
  readonly source: SourceFingerprint;
  /**
   * The version file as it was registered, for `revert`'s cheap check (a
   * snapshot's: its manifest file). Versions catalogued before this existed
   * have none: their file is checked by size.
   */
  readonly file?: VersionFileFingerprint;
  /** Set once verification found the file not to be what was registered: never offered again. */
  readonly damaged?: VersionDamage;
  /** In a cluster: the node whose disk holds `path`. Absent on one node. Other nodes serve the version from the cluster's object store. */
  readonly node?: string;
  /**
   * In a cluster with `--version-store nats`: the name its bytes have in the
   * object store, unique per node and copy attempt (`<id>~<node>~<tempId>`),
   * so one node's cleanup never removes another node's blob of the same id.
   * Absent (older records, no object store): the bytes are under `id`.
   */
  readonly blob?: string;
}

/**
 * What a version file looked like when it was registered. A byte changed in
 * place moves its mtime, a file put back by another program has a new inode:
 * either way `revert` sees it with one `stat` and skips it until it is
 * verified again. Nanosecond and inode fields are decimal strings.
 */
export interface VersionFileFingerprint {
  readonly size: number;
  readonly mtimeNs: string;
  readonly ino: string;
}

/** Why a version is not what was registered. */
export type DamageReason =
  /** The file's bytes do not hash to the catalogued SHA-256 (or its size differs). */
  | 'content-mismatch'
  /** The file is gone. */
  | 'missing'
  /** The catalog record itself failed its digest, so nothing in it can be trusted. */
  | 'record-damaged'
  /** The file could not be read (permissions, I/O error). */
  | 'unreadable';

export interface VersionDamage {
  /** When it was found, on the host's clock. */
  readonly at: number;
  readonly reason: DamageReason;
}

/** A file's fingerprint from a `stat` taken with `{ bigint: true }` (nanosecond times kept exact). */
export function fingerprintOf(stats: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint; dev: bigint }): SourceFingerprint {
  return {
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs.toString(),
    ctimeNs: stats.ctimeNs.toString(),
    ino: stats.ino.toString(),
    dev: stats.dev.toString(),
  };
}

export function sameFingerprint(a: SourceFingerprint, b: SourceFingerprint): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}

/**
 * Whether a version file's current state is the one recorded when it was
 * registered (only its size, for older records). A snapshot is judged by its
 * manifest file (see `probePathOf`).
 */
export function fileMatches(version: Pick<BackupVersion, 'size' | 'file' | 'kind'>, current: VersionFileFingerprint | null): boolean {
  const expectedSize = version.kind === 'directory' ? version.file?.size : version.size;
  if (current === null || current.size !== expectedSize) return false;
  const recorded = version.file;
  return recorded === undefined || (recorded.mtimeNs === current.mtimeNs && recorded.ino === current.ino);
}

/** The file whose `stat` says whether a version is still as registered: the copy itself, or a snapshot's manifest. */
export function probePathOf(version: Pick<BackupVersion, 'path' | 'kind'>): string {
  return version.kind === 'directory' ? manifestPathOf(version.path) : version.path;
}

/** The size `probePathOf`'s file must have. */
export function probeSizeOf(version: Pick<BackupVersion, 'size' | 'file' | 'kind'>): number {
  return version.kind === 'directory' ? (version.file?.size ?? -1) : version.size;
}
