import type { BackupService } from '../backup/backup-service.ts';
import type { BackupJob } from '../backup/job.ts';
import { versionKind, type JobReport, type ServiceStatus, type VersionListing } from '../backup/job-report.ts';
import type { BackupVersion } from '../backup/version.ts';
import { clusterStatus } from '../cluster/cluster-status.ts';
import type { JobPlacement } from '../cluster/job-placement.ts';
import type { RemoteJobHistory } from '../cluster/remote-job-history.ts';
import type { ClusterSnapshot } from '../ports/cluster-view.ts';
import type { BackupScheduler } from './backup-scheduler.ts';

/** What `status` says about the service itself. */
export interface ServiceFacts {
  readonly version: string;
  readonly startedAt: number;
}

/** What `status` says about the cluster, when the host is in one. */
export interface ClusterFacts {
  readonly placement: JobPlacement;
  readonly history: RemoteJobHistory;
  /** The view's snapshot: straight from memory for the page, through the recorder for a `status` request (an edge's answer, which a replay gives back). */
  readonly snapshot: () => Promise<ClusterSnapshot>;
}

/** The cluster part of one `status`: the facts, with the snapshot taken. */
export interface ClusterNow {
  readonly placement: JobPlacement;
  readonly history: RemoteJobHistory;
  readonly snapshot: ClusterSnapshot;
}

/** Every known job, active ones first in the order they were started (the first is the default job), then the rest, oldest first. */
export function orderedJobs(service: BackupService, scheduler: BackupScheduler): BackupJob[] {
  const active = scheduler.activeJobIds();
  const all = service.jobs();
  return [...active.map((id) => all.find((job) => job.id === id) as BackupJob), ...all.filter((job) => !active.includes(job.id))];
}

/** Takes the cluster's snapshot for one `status` (none on a single node). */
export async function clusterNow(cluster: ClusterFacts | undefined): Promise<ClusterNow | undefined> {
  return cluster && { placement: cluster.placement, history: cluster.history, snapshot: await cluster.snapshot() };
}

/** The answer to `status`, read from memory (no disk): the scheduler's run history and the catalog as the service holds it. */
export function serviceStatus(service: BackupService, scheduler: BackupScheduler, facts: ServiceFacts, now: number, cluster?: ClusterNow): ServiceStatus {
  const jobs = orderedJobs(service, scheduler);
  const base = { version: facts.version, startedAt: facts.startedAt, uptimeMs: now - facts.startedAt };
  if (!cluster) return { ...base, jobs: jobs.map((job) => jobReport(job, service, scheduler)) };
  const runsOn = jobs.map((job) => ({ jobId: job.id, runsOn: job.removedAt === undefined ? cluster.placement.runnerOf(job) : null }));
  return {
    ...base,
    jobs: jobs.map((job, i) => {
      const runner = runsOn[i]?.runsOn ?? null;
      // A job another node runs is inactive in this node's scheduler: its state is what that node's events said last.
      const heard = runner !== null && runner !== cluster.snapshot.node ? cluster.history.of(job.id) : undefined;
      return { ...jobReport(job, service, scheduler), ...(heard ? { state: heard.state } : {}), runsOn: runner };
    }),
    cluster: clusterStatus(cluster.snapshot, runsOn, (jobId) => cluster.history.of(jobId)),
  };
}

export function jobReport(job: BackupJob, service: BackupService, scheduler: BackupScheduler): JobReport {
  const versions = service.catalogedVersions(job.id);
  const newest = versions.at(-1);
  return {
    id: job.id,
    source: job.sourcePath,
    kind: newest ? versionKind(newest) : 'file',
    intervalMs: job.intervalMs,
    state: scheduler.history.stateOf(job.id, scheduler.stateOf(job.id), job.removedAt !== undefined),
    lastRun: scheduler.history.lastRun(job.id),
    nextRunAt: scheduler.isActive(job.id) ? scheduler.history.nextRunAt(job.id) : null,
    versions: versions.length,
    totalBytes: versions.reduce((sum, version) => sum + version.size, 0),
    damagedVersions: versions.filter((version) => version.damaged).length,
  };
}

/** A job's versions for `versions`: newest first, quarantined ones too, flagged. */
export function versionListing(versions: readonly BackupVersion[]): VersionListing[] {
  return [...versions]
    .sort((a, b) => b.seq - a.seq)
    .map((version) => ({
      id: version.id,
      seq: version.seq,
      createdAt: version.createdAt,
      size: version.size,
      sha256: version.sha256,
      kind: versionKind(version),
      damaged: version.damaged ? { reason: version.damaged.reason, at: version.damaged.at } : null,
    }));
}
