import type { BackupService } from '../backup/backup-service.ts';
import type { BackupJob } from '../backup/job.ts';
import type { JobRemoval } from '../backup/job-report.ts';
import type { BackupScheduler } from './backup-scheduler.ts';

/**
 * Removes a job: its schedule stops (a copy it is running is abandoned and
 * its temp file removed; requests waiting on it get COPY_ABORTED), and it is
 * durably marked removed, so a start without sources does not schedule it
 * again. Its versions stay, listable and revertable by the job's id, unless
 * `forget`: then they leave the catalog (durably) before their files are
 * deleted, and the job's record goes last.
 */
export async function removeJob(service: BackupService, scheduler: BackupScheduler, job: BackupJob, forget: boolean): Promise<JobRemoval> {
  await scheduler.remove(job.id);
  // Marked first even when forgetting: a crash part-way through must not bring the job back.
  await service.markRemoved(job.id);
  const forgotten = forget ? await service.forgetJob(job.id) : [];
  return { jobId: job.id, forgotten, kept: forget ? 0 : service.catalogedVersions(job.id).length };
}
