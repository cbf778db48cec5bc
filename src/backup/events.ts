import type { ErrorShape } from '../errors/safekeep-error.ts';
import type { BackupJob } from './job.ts';
import type { BackupVersion } from './version.ts';

/** Payloads of the `backup.*` bus events. Times are on the host's clock. */

export interface BackupJobsLoaded {
  readonly jobs: readonly BackupJob[];
  /** The jobs that will be scheduled in this run, in order; the first is the default job. */
  readonly activeJobIds: readonly string[];
  /** Registered versions whose files are gone or damaged; they are not offered for revert. */
  readonly missingVersionIds: readonly string[];
  /** Temp files of copies a crash interrupted, removed on start. */
  readonly leftoversRemoved: number;
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
