import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { ServiceStatus } from '../../src/backup/job-report.ts';
import type { Bus } from '../../src/bus/bus.ts';

const OUTCOMES = ['copied', 'unchanged', 'failed'] as const;

/** Runs span a small file's milliseconds to a large tree's hour. */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600];

/**
 * The backup jobs' metrics: runs, bytes and durations counted from the bus;
 * the catalog's versions read from `status` at each scrape. Series are
 * labelled by job id (bounded by the catalog); a removed job's go with it.
 */
export class BackupMetrics {
  readonly #runs: Counter<'job' | 'outcome'>;
  readonly #bytes: Counter<'job'>;
  readonly #duration: Histogram<'job'>;
  readonly #lastSuccess: Gauge<'job'>;
  readonly #versions: Gauge<'job'>;
  readonly #damaged: Gauge<'job'>;
  readonly #versionBytes: Gauge<'job'>;
  /** When each running copy started (host clock, ms), by run id, until it ends. */
  readonly #running = new Map<string, number>();
  /** Each job's last success (ms), so a seed from the catalog never moves it back. */
  readonly #lastSuccessAt = new Map<string, number>();
  /** Jobs removed in this run (until one with the same id runs again): a seed that raced the removal does not bring them back. */
  readonly #removed = new Set<string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#runs = new Counter({
      name: 'safekeep_backup_runs_total',
      help: 'Backup runs finished since start, by job and outcome (copied: a new version; unchanged: the newest still matches; failed).',
      labelNames: ['job', 'outcome'],
      registers,
    });
    this.#bytes = new Counter({ name: 'safekeep_backup_bytes_copied_total', help: 'Bytes of new versions written since start, by job.', labelNames: ['job'], registers });
    this.#duration = new Histogram({
      name: 'safekeep_backup_run_duration_seconds',
      help: 'Time from a copy starting to its run completing or failing, by job.',
      labelNames: ['job'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: 'safekeep_backup_last_success_timestamp_seconds',
      help: "When each job last backed up successfully (copied or unchanged), in seconds since the epoch; from its newest version's time after a restart.",
      labelNames: ['job'],
      registers,
    });
    this.#versions = new Gauge({ name: 'safekeep_backup_versions', help: 'Versions in the catalog, quarantined ones included, by job.', labelNames: ['job'], registers });
    this.#damaged = new Gauge({ name: 'safekeep_backup_damaged_versions', help: 'Versions found damaged and quarantined, by job.', labelNames: ['job'], registers });
    this.#versionBytes = new Gauge({ name: 'safekeep_backup_versions_bytes', help: "The catalog's versions' total size in bytes, by job.", labelNames: ['job'], registers });
  }

  subscribe(bus: Bus): Subscription[] {
    return [
      bus.on$('backup.copy.started').subscribe(({ jobId, runId, at }) => {
        this.#removed.delete(jobId);
        this.#running.set(runId, at);
      }),
      bus.on$('backup.completed').subscribe(({ jobId, runId, at, kind, version }) => {
        this.#ended(jobId, runId, at, kind);
        if (kind === 'copied') this.#bytes.labels(jobId).inc(version.size);
        this.succeeded(jobId, at);
      }),
      bus.on$('backup.failed').subscribe(({ jobId, runId, at }) => this.#ended(jobId, runId, at, 'failed')),
      bus.on$('backup.job.removed').subscribe(({ jobId }) => this.#remove(jobId)),
    ];
  }

  /** A job's success at `at` (ms): kept unless a later one is already known. */
  succeeded(jobId: string, at: number): void {
    if (this.#removed.has(jobId) || (this.#lastSuccessAt.get(jobId) ?? -Infinity) >= at) return;
    this.#lastSuccessAt.set(jobId, at);
    this.#lastSuccess.labels(jobId).set(at / 1000);
  }

  /** Sets the catalog gauges from a fresh `status`: every job not removed. */
  observe(status: ServiceStatus): void {
    this.#versions.reset();
    this.#damaged.reset();
    this.#versionBytes.reset();
    for (const job of status.jobs) {
      if (job.state === 'removed') continue;
      this.#versions.labels(job.id).set(job.versions);
      this.#damaged.labels(job.id).set(job.damagedVersions);
      this.#versionBytes.labels(job.id).set(job.totalBytes);
    }
  }

  clear(): void {
    this.#running.clear();
  }

  #ended(jobId: string, runId: string, at: number, outcome: (typeof OUTCOMES)[number]): void {
    this.#runs.labels(jobId, outcome).inc();
    const startedAt = this.#running.get(runId);
    if (startedAt === undefined) return;
    this.#running.delete(runId);
    this.#duration.labels(jobId).observe(Math.max(0, at - startedAt) / 1000);
  }

  #remove(jobId: string): void {
    this.#removed.add(jobId);
    this.#lastSuccessAt.delete(jobId);
    for (const outcome of OUTCOMES) this.#runs.remove(jobId, outcome);
    for (const metric of [this.#bytes, this.#duration, this.#lastSuccess, this.#versions, this.#damaged, this.#versionBytes]) metric.remove(jobId);
  }
}
