import type { BackupService } from '../backup/backup-service.ts';
import type { ServiceStatus } from '../backup/job-report.ts';
import { ENTRIES, USERS } from '../book/book-records.ts';
import type { Clock } from '../clock/clock.ts';
import type { BookCounts, StatusSource } from '../ports/status-source.ts';
import type { BackupScheduler } from './backup-scheduler.ts';
import { clusterNow, serviceStatus, type ClusterFacts, type ServiceFacts } from './job-status.ts';

/** Counts documents in a store collection from memory, without a store command on the bus. */
export type CollectionCounter = (collection: string) => number;

export interface HostStatusDeps {
  readonly service: BackupService;
  readonly scheduler: BackupScheduler;
  readonly facts: ServiceFacts;
  readonly clock: Clock;
  readonly count: CollectionCounter;
  /** In a cluster: its nodes, leases and who runs which job. */
  readonly cluster?: ClusterFacts;
}

/**
 * The host's StatusSource: `status()` is what `backup.status` answers (the
 * same function, read from memory), and the book's counts come straight from
 * the store's key indexes. Neither goes over the bus, so a status page left
 * open shows up in no recording, no throttle and no request metric.
 *
 * @example
 * const source = new HostStatusSource({ service, scheduler, facts, clock, count: (c) => store.countNow(c) });
 * const { users, entries } = await source.bookCounts();
 */
export class HostStatusSource implements StatusSource {
  readonly #deps: HostStatusDeps;

  constructor(deps: HostStatusDeps) {
    this.#deps = deps;
  }

  async status(): Promise<ServiceStatus> {
    const { service, scheduler, facts, clock, cluster } = this.#deps;
    // The cluster's part is the view's snapshot, from memory like the rest: no request goes out to the other nodes.
    return serviceStatus(service, scheduler, facts, clock.now(), await clusterNow(cluster));
  }

  async bookCounts(): Promise<BookCounts> {
    const { count } = this.#deps;
    return { users: count(USERS), entries: count(ENTRIES) };
  }

  /** Each job's newest version's time: `/metrics`' last success, which a restart would otherwise forget. */
  async newestVersionTimes(): Promise<ReadonlyMap<string, number>> {
    const { service } = this.#deps;
    const times = new Map<string, number>();
    for (const job of service.jobs()) {
      const newest = service.newestVersion(job.id);
      if (newest) times.set(job.id, newest.createdAt);
    }
    return times;
  }
}
