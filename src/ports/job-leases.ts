/**
 * Leases of shared jobs (a source several nodes see): at most one node holds
 * a job's lease at a time, and a lease not renewed runs out, so another node
 * can take the job over. The cluster's adapter keeps them in JetStream KV
 * (compare-and-set on the revision, with a time to live).
 */
export interface JobLeases {
  /** Takes the job's lease if nobody holds it; resolves with the hold, or null when another node holds it. */
  acquire(jobId: string): Promise<LeaseHold | null>;
  /** Renews a hold; resolves with the renewed hold, or null when it was lost (ran out, or another node took it). */
  renew(hold: LeaseHold): Promise<LeaseHold | null>;
  /** Gives a lease up (a stopping node), so another node need not wait for it to run out. */
  release(hold: LeaseHold): Promise<void>;
  /** Who holds which job's lease now, by job id. */
  holders(): Promise<Readonly<Record<string, { readonly node: string; readonly renewedAt: number }>>>;
}

export interface LeaseHold {
  readonly jobId: string;
  readonly node: string;
  /** The store's revision of the lease record this node last wrote: what a renewal compares and sets against. */
  readonly revision: number;
}

export const JOB_LEASES_OPS = ['acquire', 'renew', 'release', 'holders'] as const satisfies readonly (keyof JobLeases)[];
