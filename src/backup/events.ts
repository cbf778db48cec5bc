import type { ErrorShape } from '../errors/safekeep-error.ts';
import type { BackupJob } from './job.ts';
import type { JobRemoval, RestoreReport } from './job-report.ts';
import type { BackupVersion, DamageReason, VersionFileFingerprint } from './version.ts';

/** Payloads of the `backup.*` bus events. Times are on the host's clock. */

export interface BackupJobsLoaded {
  readonly jobs: readonly BackupJob[];
  /** The jobs that will be scheduled in this run, in order; the first is the default job. */
  readonly activeJobIds: readonly string[];
  /** Registered versions whose files are gone or damaged; they are not offered for revert. */
  readonly missingVersionIds: readonly string[];
  /** Temp files of copies a crash interrupted, removed on start. */
  readonly leftoversRemoved: number;
  /** Job records that failed their digest: not scheduled, left in the catalog for `safekeep check`. */
  readonly damagedJobIds: readonly string[];
  /** Version records that failed their digest: never offered for revert. */
  readonly damagedVersionIds: readonly string[];
  /** Uncatalogued copies found to be the registration a crash interrupted, now registered. */
  readonly orphansAdopted: readonly string[];
  /** Uncatalogued version files that could not be proved to be one, deleted (absolute paths). */
  readonly orphansRemoved: readonly string[];
  /** Catalog shards that could not be read (present only when there are any): no file was taken for an orphan meanwhile. */
  readonly catalogUnreadable?: readonly string[];
  /** What settling directory restores a crash cut short did, one line each naming the target (present only when it did something). */
  readonly restoresSettled?: readonly string[];
}

/** A version was found not to be what was registered: it is quarantined (marked in the catalog, never offered again). */
export interface BackupVersionDamaged {
  readonly jobId: string | null;
  readonly versionId: string;
  readonly path: string | null;
  readonly reason: DamageReason;
  readonly expectedSha256: string | null;
  readonly actualSha256: string | null;
  readonly at: number;
  /** Set when the mark could not be made durable; it holds in memory and is found again on the next pass. */
  readonly error?: ErrorShape;
}

/** A version file no longer matches the fingerprint recorded for it: not offered until verification has looked at it. */
export interface BackupVersionMismatch {
  readonly jobId: string;
  readonly versionId: string;
  readonly path: string;
  /** What was recorded (only a size for versions catalogued before fingerprints). */
  readonly expected: VersionFileFingerprint | { readonly size: number };
  /** What the file is now; null when it is gone. */
  readonly actual: VersionFileFingerprint | null;
  readonly at: number;
}

/** A version was put back (`restore`); `previous` holds what the target held before, to undo it. */
export interface BackupRestored extends RestoreReport {
  readonly at: number;
}

/** A job was removed (`remove`): no longer scheduled, now or after a restart; `forgotten` lists the versions deleted with it. */
export interface BackupJobRemoved extends JobRemoval {
  readonly at: number;
}

/** A verification finished: a whole pass (asked for, or the scheduled scrub) or one version a mismatch sent to it. */
export interface BackupVerified {
  readonly at: number;
  readonly trigger: 'request' | 'schedule' | 'mismatch';
  readonly checked: number;
  readonly damaged: number;
  readonly damagedVersionIds: readonly string[];
}

export interface BackupScheduled {
  readonly jobId: string;
  readonly dueAt: number;
  /** Failures in a row before this run; 0 when the last run succeeded. */
  readonly attempt: number;
}

export interface BackupCopyStarted {
  readonly jobId: string;
  readonly runId: string;
  readonly at: number;
}

/**
 * How far a long copy has got: published while it runs (the first after a
 * second, then at most twice a second), not for copies that finish sooner.
 * Times and the rate are on the real clock: how fast a disk goes is a fact
 * from outside, so a recording keeps these events as inputs.
 */
export interface BackupProgress {
  readonly jobId: string;
  readonly runId: string;
  /** Bytes read and hashed so far (the writes trail them by at most a few MiB). */
  readonly bytesDone: number;
  /** The source's size when the copy began. */
  readonly totalBytes: number;
  /** Average since the copy began. */
  readonly bytesPerSecond: number;
  readonly at: number;
}

export interface BackupCompleted {
  readonly jobId: string;
  readonly runId: string;
  readonly at: number;
  /** `copied`: a new version; `unchanged`: the newest version still matches the source. */
  readonly kind: 'copied' | 'unchanged';
  readonly version: BackupVersion;
  readonly requestIds: readonly string[];
}

export interface BackupFailed {
  readonly jobId: string;
  readonly runId: string;
  readonly at: number;
  readonly error: ErrorShape;
  readonly attempt: number;
  readonly requestIds: readonly string[];
}

export interface BackupPruned {
  readonly jobId: string;
  /** Versions removed from the catalog and then from disk. */
  readonly versionIds: readonly string[];
  /** Set when pruning stopped part-way; what is left is pruned after the next version. */
  readonly error?: ErrorShape;
}

export interface BackupJobState {
  readonly jobId: string;
}
