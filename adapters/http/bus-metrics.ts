import { Counter, Gauge, Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { ServiceStatus } from '../../src/backup/job-report.ts';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { BookCounts, StatusSource } from '../../src/ports/status-source.ts';
import { BackupMetrics } from './backup-metrics.ts';
import { processMetrics } from './process-metrics.ts';
import { RequestMetrics } from './request-metrics.ts';
import { StoreMetrics } from './store-metrics.ts';

/**
 * The service's Prometheus metrics, gathered from the bus, rendered for
 * `GET /metrics` in Prometheus' text format. Counters and histograms follow
 * the bus's events as they happen; the catalog's and the book's gauges are
 * read from the StatusSource at each scrape (cheap: from memory and a store
 * count). Each instance has its own registry, never prom-client's global one,
 * so several hosts can run in one process; the process's own metrics
 * (`process_*`, `nodejs_*`, prom-client's defaults) follow, from the one
 * registry the process has for them.
 *
 * @example
 * const metrics = new BusMetrics({ bus: host.bus, clock: host.clock, status });
 * metrics.start();
 * response.setHeader('Content-Type', metrics.contentType).end(await metrics.render());
 * metrics.stop();
 */
export class BusMetrics {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  readonly #registry = new Registry();
  readonly #requests: RequestMetrics;
  readonly #backups: BackupMetrics;
  readonly #store: StoreMetrics;
  readonly #info: Gauge<'version'>;
  readonly #users: Gauge;
  readonly #entries: Gauge;
  readonly #sourceErrors: Counter<'source'>;
  #subscriptions: Subscription[] = [];
  /** The seeding of last successes from the catalog that `start` began; a render waits for it. */
  #seeded: Promise<void> = Promise.resolve();

  constructor(readonly deps: { readonly bus: Bus; readonly clock: Clock; readonly status: StatusSource }) {
    const registers = [this.#registry];
    this.#requests = new RequestMetrics(this.#registry, deps.clock);
    this.#backups = new BackupMetrics(this.#registry);
    this.#store = new StoreMetrics(this.#registry, () => deps.clock.now());
    this.#info = new Gauge({ name: 'safekeep_info', help: "Always 1; the label says safekeep's version.", labelNames: ['version'], registers });
    this.#users = new Gauge({ name: 'safekeep_book_users', help: 'Users registered in the password book.', registers });
    this.#entries = new Gauge({ name: 'safekeep_book_entries', help: 'Entries stored in the password book, all users together.', registers });
    this.#sourceErrors = new Counter({
      name: 'safekeep_metrics_source_errors_total',
      help: 'Scrapes that could not read a source (status, book): its gauges kept the values of the last scrape that could.',
      labelNames: ['source'],
      registers,
    });
  }

  /** Subscribes to the bus and seeds each job's last success from the catalog (so it survives a restart). */
  start(): void {
    if (this.#subscriptions.length > 0) return;
    const { bus } = this.deps;
    this.#subscriptions = [...this.#requests.subscribe(bus), ...this.#backups.subscribe(bus), ...this.#store.subscribe(bus)];
    this.#seeded = this.#seed();
  }

  /** Unsubscribes; what was counted stays readable. */
  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
    this.#requests.clear();
    this.#backups.clear();
    this.#store.clear();
  }

  /** The metrics in Prometheus' text format (0.0.4). A source that fails keeps its gauges' last values and counts the failure; it never fails the scrape. */
  async render(): Promise<string> {
    await this.#seeded;
    const [status, counts] = await Promise.all([this.#read('status', () => this.deps.status.status()), this.#read('book', () => this.deps.status.bookCounts())]);
    this.#observeStatus(status);
    this.#observeBook(counts);
    const [own, process] = await Promise.all([this.#registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${process}`;
  }

  async #seed(): Promise<void> {
    const [status, newest] = await Promise.all([
      this.#read('status', () => this.deps.status.status()),
      this.#read('status', async () => (await this.deps.status.newestVersionTimes?.()) ?? new Map<string, number>()),
    ]);
    // A removed job's versions may be kept; its last success is no longer news.
    const removed = new Set(status?.jobs.filter((job) => job.state === 'removed').map((job) => job.id));
    for (const [jobId, at] of newest ?? []) if (!removed.has(jobId)) this.#backups.succeeded(jobId, at);
    for (const job of status?.jobs ?? []) {
      const { lastRun } = job;
      if (lastRun && lastRun.outcome !== 'failed' && !removed.has(job.id)) this.#backups.succeeded(job.id, lastRun.endedAt);
    }
  }

  async #read<T>(source: 'status' | 'book', read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch {
      // Nothing of the error is shown: the page and the log say what is wrong with the service; this says a scrape missed it.
      this.#sourceErrors.labels(source).inc();
      return null;
    }
  }

  #observeStatus(status: ServiceStatus | null): void {
    if (!status) return;
    this.#info.reset();
    this.#info.labels(status.version).set(1);
    this.#backups.observe(status);
  }

  #observeBook(counts: BookCounts | null): void {
    if (!counts) return;
    this.#users.set(counts.users);
    this.#entries.set(counts.entries);
  }
}
