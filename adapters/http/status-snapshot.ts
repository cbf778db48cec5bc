import type { Subscription } from 'rxjs';
import type { JobReport } from '../../src/backup/job-report.ts';
import type { ClusterStatus } from '../../src/cluster/cluster-status.ts';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { BookCounts, StatusSource } from '../../src/ports/status-source.ts';
import type { RequestRate, RunHistory, RunPoint } from './run-history.ts';

/** Recent runs and failures listed on the page (the plots get the whole day). */
export const RECENT_RUNS = 50;

/**
 * What `GET /api/status` answers and `/events` pushes: the service at a
 * glance. It holds job ids and source paths, counts and times; never a name
 * of a password-book entry, a username or a secret (the book gives counts only).
 */
export interface StatusSnapshot {
  readonly version: string;
  readonly startedAt: number;
  readonly uptimeMs: number;
  /** When this snapshot was taken (host clock). */
  readonly at: number;
  readonly connections: number;
  /** Null when the store could not count them (a damaged collection): the rest of the page still shows. */
  readonly book: BookCounts | null;
  readonly jobs: readonly JobReport[];
  /** In a cluster: its nodes, leases and which node runs which job (absent on a single node). */
  readonly cluster?: ClusterStatus;
  /** The last runs, failures and damaged versions, newest first. */
  readonly recent: readonly RunPoint[];
  /**
   * The plots' data. `runs` is the whole day when `complete`; otherwise only
   * the runs after `afterSeq` (a push to pages that already have the rest,
   * so a day of frequent runs is sent once, not with every push). `lastSeq`
   * is the newest run's.
   */
  readonly history: {
    readonly complete: boolean;
    readonly afterSeq: number;
    readonly lastSeq: number;
    readonly runs: readonly RunPoint[];
    readonly requests: RequestRate;
  };
}

/**
 * Builds snapshots: the status source's answers plus what the bus told (connections, runs, requests).
 *
 * @example
 * const snapshots = new SnapshotBuilder({ status, history, clock });
 * snapshots.start(bus, () => schedulePush());
 * response.end(JSON.stringify(await snapshots.snapshot()));
 */
export class SnapshotBuilder {
  readonly #status: StatusSource;
  readonly #history: RunHistory;
  readonly #clock: Clock;
  /** Open socket connections by id: a set, not a counter, so a close seen without its open cannot drive it negative. */
  readonly #connections = new Set<string>();
  #subscriptions: Subscription[] = [];

  constructor(deps: { status: StatusSource; history: RunHistory; clock: Clock }) {
    this.#status = deps.status;
    this.#history = deps.history;
    this.#clock = deps.clock;
  }

  start(bus: Bus, onChange: () => void): void {
    this.#subscriptions = [
      bus.on$('connection.opened').subscribe((event) => {
        this.#connections.add(event.connectionId);
        onChange();
      }),
      bus.on$('connection.closed').subscribe((event) => {
        this.#connections.delete(event.connectionId);
        onChange();
      }),
      // The cluster's table follows the link and what the other nodes' jobs do.
      bus.on$('cluster.link').subscribe(() => onChange()),
      bus.on$('cluster.remote').subscribe(() => onChange()),
    ];
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
  }

  /** The whole view; with `afterSeq`, its history holds only the runs after that one (see StatusSnapshot.history). */
  async snapshot(afterSeq?: number): Promise<StatusSnapshot> {
    const [status, book] = await Promise.all([this.#status.status(), this.#status.bookCounts().catch(() => null)]);
    const history = this.#history;
    return {
      version: status.version,
      startedAt: status.startedAt,
      uptimeMs: status.uptimeMs,
      at: this.#clock.now(),
      connections: this.#connections.size,
      // Copied field by field: whatever else a StatusSource returns never reaches the page.
      book: book && { users: book.users, entries: book.entries },
      jobs: status.jobs,
      ...(status.cluster ? { cluster: status.cluster } : {}),
      recent: history.recent(RECENT_RUNS),
      history: {
        complete: afterSeq === undefined,
        afterSeq: afterSeq ?? 0,
        lastSeq: history.lastSeq,
        runs: history.runs(afterSeq),
        requests: history.requestRate(),
      },
    };
  }
}
