import { systemErrorCode } from '../errors/safekeep-error.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupJob } from './job.ts';

/**
 * The folders a directory restore cut short by a crash may have left in a
 * mix: every directory job's source (where restores go by default), and any
 * other target a job recorded before its restore began.
 */
export function restoreTargetsToSettle(jobs: readonly BackupJob[], isDirectoryJob: (job: BackupJob) => boolean): string[] {
  const targets = new Set<string>();
  for (const job of jobs) {
    if (isDirectoryJob(job)) targets.add(job.sourcePath);
    if (job.restoringTo !== undefined) targets.add(job.restoringTo);
  }
  return [...targets];
}

/**
 * Settles each target (see `recoverDirectoryRestore`): it ends up holding the
 * old tree or the restored one whole, with no temp folders beside it. Returns
 * what was done, one line each, naming the target, and the targets left
 * unsettled. A target that cannot be settled (a folder it may not write) is
 * reported, not thrown: one user's folder must not keep the service from
 * starting.
 */
export async function settleInterruptedRestores(targets: readonly string[], files: BackupFiles): Promise<{ readonly done: string[]; readonly unsettled: ReadonlySet<string> }> {
  const done: string[] = [];
  const unsettled = new Set<string>();
  for (const target of targets) {
    try {
      for (const line of await files.recoverDirectoryRestore(target)) done.push(`${target}: ${line}`);
    } catch (error) {
      unsettled.add(target);
      done.push(`${target}: could not be settled (${systemErrorCode(error) ?? String(error)}); it is tried again at the next start`);
    }
  }
  return { done, unsettled };
}
