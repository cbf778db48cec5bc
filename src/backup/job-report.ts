import type { ClusterStatus } from '../cluster/cluster-status.ts';
import type { ErrorShape } from '../errors/safekeep-error.ts';
import type { BackupVersion, DamageReason } from './version.ts';

/** What a job backs up: one file, or (once directory jobs exist) a directory tree. */
export type JobKind = 'file' | 'directory';

/**
 * Where a job stands: its machine's state (`scheduled`, `copying`, `paused`,
 * `idle`), `failed` while it waits to retry a failed run, `removed` once
 * removed, `inactive` for a saved job not scheduled in this run.
 */
export type JobState = 'idle' | 'scheduled' | 'copying' | 'paused' | 'failed' | 'removed' | 'inactive';

/** A job's most recent run, as its machine reported it (times on the host's clock, ms since the epoch). */
export interface LastRun {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  readonly outcome: 'copied' | 'unchanged' | 'failed';
  /** The version the run made or found unchanged; null when it failed. */
  readonly versionId: string | null;
  /** Why it failed (code and message, never a log-only detail); null when it did not. */
  readonly error: Pick<ErrorShape, 'code' | 'message'> | null;
}

/** One job in `status`. */
export interface JobReport {
  readonly id: string;
  readonly source: string;
  readonly kind: JobKind;
  readonly intervalMs: number;
  readonly state: JobState;
  readonly lastRun: LastRun | null;
  /** When the next scheduled run is due; null while copying, paused, removed or not scheduled. */
  readonly nextRunAt: number | null;
  /** Every catalogued version, quarantined ones included, and their bytes. */
  readonly versions: number;
  readonly totalBytes: number;
  readonly damagedVersions: number;
  /** In a cluster: the node that runs the job now (null: none does, a shared job between leases). Absent on a single node. */
  readonly runsOn?: string | null;
}

/** The answer to `status`. */
export interface ServiceStatus {
  /** safekeep's version (package.json). */
  readonly version: string;
  readonly startedAt: number;
  readonly uptimeMs: number;
  /** Active jobs first, in their order (the first is the default job), then the others. */
  readonly jobs: readonly JobReport[];
  /** In a cluster: its nodes, leases and which node runs which job. Absent on a single node. */
  readonly cluster?: ClusterStatus;
}

/** One version in `versions`. */
export interface VersionListing {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: number;
  readonly size: number;
  readonly sha256: string;
  readonly kind: JobKind;
  /** Null when intact as far as safekeep knows; else why and when it was quarantined. */
  readonly damaged: { readonly reason: DamageReason; readonly at: number } | null;
}

/** The answer to `restore`. */
export interface RestoreReport {
  readonly jobId: string;
  /** The version whose bytes were put back. */
  readonly version: BackupVersion;
  /** Absolute path written. */
  readonly target: string;
  /** The version that holds what the target held before (restore it to undo); null when nothing needed keeping. */
  readonly previous: BackupVersion | null;
}

/** The answer to `remove`. */
export interface JobRemoval {
  readonly jobId: string;
  /** Versions deleted (with `forget`); empty when they were kept. */
  readonly forgotten: readonly string[];
  /** Versions kept (without `forget`), listable and revertable by the job's id. */
  readonly kept: number;
}

/** A version's kind: directory snapshots say so; every other version is a file. */
export function versionKind(version: BackupVersion): JobKind {
  return (version as { readonly kind?: unknown }).kind === 'directory' ? 'directory' : 'file';
}
