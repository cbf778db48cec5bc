import { BusMetrics } from '../../adapters/http/bus-metrics.ts';
import { ENTRIES } from '../../src/book/book-records.ts';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { Host } from '../../src/host/host.ts';
import { randomIds } from '../../src/ids/ids.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { BookCounts, StatusSource } from '../../src/ports/status-source.ts';
import type { ServiceStatus } from '../../src/backup/job-report.ts';
import { StoreClient } from '../../src/store/store-client.ts';

/**
 * A StatusSource for tests, answered by a real host once it is up (the
 * metrics start, as the HTTP adapter will, while the host is still starting).
 * `status` goes through `host.status()`, an in-process `backup.status`
 * request, so each scrape and the start's seed count one in the request
 * metrics; the book's counts come from the book and the store directly.
 */
export class TestStatusSource implements StatusSource {
  readonly #host: Promise<Host>;
  #resolve!: (host: Host) => void;
  /** Set to make every read fail, as a source that cannot answer would. */
  failing = false;

  constructor() {
    this.#host = new Promise((resolve) => (this.#resolve = resolve));
  }

  attach(host: Host): void {
    this.#resolve(host);
  }

  async status(): Promise<ServiceStatus> {
    if (this.failing) throw new Error('status is unavailable (test)');
    return (await this.#host).status();
  }

  async bookCounts(): Promise<BookCounts> {
    if (this.failing) throw new Error('the book is unavailable (test)');
    const host = await this.#host;
    const { count: users } = (await host.book.handle({ type: 'users.count' }, { address: 'local' })) as { count: number };
    const store = new StoreClient(host.bus, randomIds);
    try {
      return { users, entries: await store.count(ENTRIES) };
    } finally {
      store.dispose();
    }
  }

  async newestVersionTimes(): Promise<ReadonlyMap<string, number>> {
    const host = await this.#host;
    return new Map(host.jobs().flatMap((job) => (job.newest ? [[job.id, job.newest.createdAt] as const] : [])));
  }
}

/** BusMetrics as a host adapter, started with the host's bus before the jobs load, as the HTTP adapter starts it. */
export function metricsAdapter(clock: Clock, status: StatusSource): HostAdapter & { readonly metrics: () => BusMetrics } {
  let metrics: BusMetrics | null = null;
  return {
    name: 'metrics',
    async start(bus: Bus) {
      metrics = new BusMetrics({ bus, clock, status });
      metrics.start();
    },
    async stop() {
      metrics?.stop();
    },
    metrics() {
      if (!metrics) throw new Error('the metrics adapter has not started');
      return metrics;
    },
  };
}
