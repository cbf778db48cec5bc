import type { KeepReason, RemoveReason, RetentionDecision, RetentionPolicy } from './retention.ts';
import type { BackupVersion } from './version.ts';

/** What `forget` (or a dry run of it) did to a job's versions, newest first. */
export interface ForgetReport {
  readonly jobId: string;
  /** The policy applied: the one asked for, else the job's. */
  readonly policy: RetentionPolicy;
  /** True when nothing was removed because only a plan was asked for. */
  readonly dryRun: boolean;
  readonly kept: readonly { readonly versionId: string; readonly createdAt: number; readonly reasons: readonly KeepReason[] }[];
  /** Removed (or, in a dry run, to be removed): catalog entry first, then the file. */
  readonly removed: readonly { readonly versionId: string; readonly createdAt: number; readonly path: string; readonly reason: RemoveReason }[];
}

/**
 * The report of a decision. `removedIds`, when given, are the versions
 * actually removed (a failure part-way removes fewer than planned; those not
 * reached are then still kept).
 */
export function forgetReportOf(
  jobId: string,
  policy: RetentionPolicy,
  decision: RetentionDecision<BackupVersion>,
  dryRun: boolean,
): ForgetReport {
  return {
    jobId,
    policy,
    dryRun,
    kept: decision.keep.map(({ version, reasons }) => ({ versionId: version.id, createdAt: version.createdAt, reasons })),
    removed: decision.remove.map(({ version, reason }) => ({ versionId: version.id, createdAt: version.createdAt, path: version.path, reason })),
  };
}
