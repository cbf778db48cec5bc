import type { BackupJob } from '../backup/job.ts';

/**
 * Which node runs which job: a node's own job runs where it was made (where
 * its source is); a shared job runs on whichever node holds its lease.
 */
export interface JobPlacement {
  /** The node that runs the job now, or null when nobody does (a shared job between leases). */
  runnerOf(job: BackupJob): string | null;
  /** Whether this node runs the job now. */
  runsHere(job: BackupJob): boolean;
}

/** Placement on one node, or in a cluster before leases are known: every job of this node (or of none) runs here. */
export function fixedPlacement(node: string | undefined): JobPlacement {
  return {
    runnerOf: (job) => job.node ?? node ?? null,
    runsHere: (job) => job.node === undefined || job.node === node,
  };
}

/**
 * Placement in a cluster: a node's own job runs where it was made; a shared
 * job runs on the node that holds its lease (as far as this node knows: its
 * own holds at once, others' as of its last look at the leases).
 *
 * `isShared` says which jobs are shared: `job.shared`, and, for a catalog
 * written before jobs carried the mark, the command line's `--shared-source` jobs.
 */
export function leasedPlacement(node: string, leases: { holderOf(jobId: string): string | null }, isShared: (job: BackupJob) => boolean = (job) => job.shared === true): JobPlacement {
  return {
    runnerOf: (job) => (isShared(job) ? leases.holderOf(job.id) : (job.node ?? node)),
    runsHere: (job) => (isShared(job) ? leases.holderOf(job.id) === node : job.node === undefined || job.node === node),
  };
}
