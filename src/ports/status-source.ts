import type { ServiceStatus } from '../backup/job-report.ts';

/** The password book's counts, for operators: never a name of an entry, never a secret. */
export interface BookCounts {
  readonly users: number;
  readonly entries: number;
}

/**
 * What an operator's view of the service (the status page, `/metrics`) asks
 * the host: the same status `backup.status` answers, and the book's counts.
 * Asked directly rather than as requests on the bus, so looking at the
 * service never shows up in its recordings, its throttles or its request metrics.
 */
export interface StatusSource {
  status(): Promise<ServiceStatus>;
  bookCounts(): Promise<BookCounts>;
  /**
   * Each job's newest catalogued version's `createdAt` (ms), by job id: the
   * time of its last success that survives a restart (`status` only knows
   * the runs of this one). Optional: without it, metrics start from `lastRun`.
   */
  newestVersionTimes?(): Promise<ReadonlyMap<string, number>>;
}
