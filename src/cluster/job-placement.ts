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
