import type { BackupJob } from '../backup/job.ts';
import { SafekeepError } from '../errors/safekeep-error.ts';
import { formatInterval } from '../backup/interval.ts';

/** A shared job runs more often than its lease lasts: a dead holder's job would not be taken over within two of its intervals. */
export class LeaseTtlTooLongError extends SafekeepError {
  readonly code = 'LEASE_TTL_TOO_LONG';
}

/**
 * Checks the shared jobs a node is started with against the lease TTL. A
 * dead holder's lease runs out one TTL after its last renewal, and the next
 * node takes it within a quarter TTL more, then runs the overdue job at once:
 * within two intervals only when the TTL is at most the interval. The TTL is
 * one for the whole cluster (one bucket), so it cannot be shortened per job:
 * the start is refused, saying which flag to change.
 */
export function sharedJobCheck(jobs: readonly BackupJob[], leaseTtlMs: number): void {
  const tooShort = jobs.filter((job) => job.intervalMs < leaseTtlMs);
  if (tooShort.length === 0) return;
  const names = tooShort.map((job) => `'${job.id}' (every ${formatInterval(job.intervalMs)})`).join(', ');
  throw new LeaseTtlTooLongError(
    `Shared job ${names} runs more often than its lease lasts (--lease-ttl ${formatInterval(leaseTtlMs)}): if its node died, another would not take it over within two intervals. Give every node --lease-ttl no longer than the shortest shared job's --interval`,
  );
}
