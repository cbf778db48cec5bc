import type { RetentionPolicy } from './retention.ts';

/** A backup job as the catalog keeps it. */
export interface BackupJob {
  /** Short, stable name, derived from the source's file name: `notes.json`, `notes.json-2`. */
  readonly id: string;
  /** Absolute path of the file or folder to back up. */
  readonly sourcePath: string;
  readonly intervalMs: number;
  /** Which versions to keep after each new one; empty keeps them all. Records from before policies held `keep: N`, read as `{ last: N }`. */
  readonly retention: RetentionPolicy;
  readonly createdAt: number;
  /**
   * Set when the job was removed (`remove`): it is not scheduled again on a
   * start without sources; its versions stay listable and revertable. Naming
   * its source again (`--source`, `add`) clears it.
   */
  readonly removedAt?: number;
  /** A directory job's `--exclude` globs, relative to the source root; absent when there are none. */
  readonly excludes?: readonly string[];
  /**
   * Where a directory restore of this job's versions is under way: written
   * (durably) before the restore touches the disk and cleared after, so the
   * next start can settle a target a crash left mid-swap even when it is not
   * the job's source. Absent otherwise.
   */
  readonly restoringTo?: string;
  /** In a cluster: the node that made the job and runs it (where its source is). Absent on one node, and on shared jobs. */
  readonly node?: string;
  /** In a cluster: the source is on storage several nodes see (`--shared-source`); whoever holds the job's lease runs it. */
  readonly shared?: true;
}

/** What a user says about a job: the rest is derived. */
export interface BackupJobSpec {
  readonly sourcePath: string;
  readonly intervalMs: number;
  /** Which versions to keep; omitted (with `keep`), every version. */
  readonly retention?: RetentionPolicy;
  /** Shorthand for `retention: { last: keep }` (`null`: keep all); not together with `retention`. */
  readonly keep?: number | null;
  /** Globs a directory source leaves out (see README "Directory jobs"); ignored for a file. */
  readonly excludes?: readonly string[];
  /** In a cluster: the source is on storage several nodes see, so any of them may run the job, one at a time (`--shared-source`). */
  readonly shared?: boolean;
}

/**
 * A job id for `sourcePath` that no job in `taken` has: the file's name with
 * anything but letters, digits, `.`, `_` and `-` replaced, so it can be typed
 * after `revert` or `backup` on the text protocol.
 */
export function jobIdFor(sourcePath: string, taken: ReadonlySet<string>): string {
  const base = sourcePath.split(/[\\/]/).filter(Boolean).pop() ?? 'file';
  const slug = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'file';
  if (!taken.has(slug)) return slug;
  for (let n = 2; ; n++) {
    const candidate = `${slug}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
