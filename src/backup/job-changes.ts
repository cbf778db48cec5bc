import { DEFAULT_INTERVAL_MS } from './interval.ts';
import type { BackupJob, BackupJobSpec } from './job.ts';
import { policyOfKeep } from './retention-policy.ts';
import type { RetentionPolicy } from './retention.ts';

/**
 * What an `add` request says about a job: its source, and only the settings
 * the client named. A setting left out keeps the job's current value (a new
 * job gets the default), so changing an interval never wipes a retention
 * policy or excludes the operator set on the command line.
 */
export interface JobChanges {
  readonly sourcePath: string;
  readonly intervalMs?: number;
  readonly retention?: RetentionPolicy;
  /** Shorthand for `retention: { last: keep }` (`null`: keep all); not together with `retention`. */
  readonly keep?: number | null;
  readonly excludes?: readonly string[];
}

/** The full spec for `changes` applied to `existing` (the job for the same source, if there is one). */
export function specWithChanges(changes: JobChanges, existing: BackupJob | undefined): BackupJobSpec {
  const named = changes.retention ?? (changes.keep !== undefined ? policyOfKeep(changes.keep) : undefined);
  const excludes = changes.excludes ?? existing?.excludes;
  return {
    sourcePath: changes.sourcePath,
    intervalMs: changes.intervalMs ?? existing?.intervalMs ?? DEFAULT_INTERVAL_MS,
    retention: named ?? existing?.retention ?? {},
    ...(excludes === undefined ? {} : { excludes }),
  };
}
