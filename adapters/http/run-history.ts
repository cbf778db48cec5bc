import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { Subscription } from 'rxjs';

/** One backup run as the page plots and lists it. */
export interface RunPoint {
  /** Its place in this service's history, from 1: a page that has runs up to `seq` is sent only the ones after. */
  readonly seq: number;
  readonly jobId: string;
  /** When it ended (ms since the epoch, host clock). */
  readonly at: number;
  /** From `backup.copy.started` to its end; null when the start was not seen (seeded from the catalog, or begun before this adapter). */
  readonly durationMs: number | null;
  /** The version's bytes; null for a failed run. */
  readonly size: number | null;
  readonly outcome: 'copied' | 'unchanged' | 'failed' | 'damaged';
  /** For a failure or damage: the error code or damage reason (never a path or a secret). */
  readonly code?: string;
}

/** Requests answered, per `bucketMs`, oldest bucket first, ending with the current one. */
export interface RequestRate {
  readonly bucketMs: number;
  /** Start of the first bucket. */
  readonly start: number;
  readonly counts: readonly number[];
}

/** What seeds the run history at start: versions the catalog holds from the last day. */
export interface SeedVersion {
  readonly jobId: string;
  readonly createdAt: number;
  readonly size: number;
}

const DAY_MS = 24 * 60 * 60_000;

/** Runs kept at most, all jobs together: a whole day of one run every 10 s (the shortest interval one would plot). */
export const MAX_RUNS = 8_640;

/**
 * The status page's memory of the last day, bounded so a service up for
 * months holds no more than on its first day: the runs (and damaged versions)
 * of the last 24 hours, at most `maxRuns` of them (default 8,640, a day of one
 * run every 10 s, all jobs together; past that the oldest go first), and the
 * requests answered per minute in a fixed ring. It lives in memory only: a
 * restart starts the rate plot afresh and the run plot from the catalog's
 * versions (`seed`).
 *
 * @example
 * const history = new RunHistory({ clock });
 * history.start(bus, (what) => console.log(what, 'changed'));
 * const { counts, bucketMs } = history.requestRate(); // requests per minute, oldest first
 */
export class RunHistory {
  readonly #clock: Clock;
  readonly #maxRuns: number;
  readonly #bucketMs: number;
  readonly #runs: RunPoint[] = [];
  /** Copy starts not yet ended, by run id; bounded by the number of jobs copying at once. */
  readonly #started = new Map<string, number>();
  readonly #counts: Uint32Array;
  /** The bucket number (time / bucketMs) that `#counts[#head]` holds. */
  #headBucket: number;
  #head = 0;
  #lastSeq = 0;
  #subscriptions: Subscription[] = [];

  constructor(options: { clock: Clock; maxRuns?: number; bucketMs?: number; windowMs?: number }) {
    this.#clock = options.clock;
    this.#maxRuns = options.maxRuns ?? MAX_RUNS;
    this.#bucketMs = options.bucketMs ?? 60_000;
    this.#counts = new Uint32Array(Math.ceil((options.windowMs ?? DAY_MS) / this.#bucketMs));
    this.#headBucket = Math.floor(this.#clock.now() / this.#bucketMs);
  }

  /** Adds the catalog's versions of the last day as runs of unknown duration, oldest first. */
  seed(versions: readonly SeedVersion[]): void {
    const since = this.#clock.now() - DAY_MS;
    const recent = versions.filter((version) => version.createdAt >= since).sort((a, b) => a.createdAt - b.createdAt);
    for (const version of recent) this.#push({ jobId: version.jobId, at: version.createdAt, durationMs: null, size: version.size, outcome: 'copied' });
  }

  /** Follows runs and replies on the bus; `onChange` hears which kind of thing changed. */
  start(bus: Bus, onChange: (what: 'runs' | 'requests') => void): void {
    this.#subscriptions = [
      bus.on$('backup.copy.started').subscribe((event) => this.#started.set(event.runId, event.at)),
      bus.on$('backup.completed').subscribe((event) => {
        this.#push({ jobId: event.jobId, at: event.at, durationMs: this.#duration(event.runId, event.at), size: event.version.size, outcome: event.kind });
        onChange('runs');
      }),
      bus.on$('backup.failed').subscribe((event) => {
        this.#push({ jobId: event.jobId, at: event.at, durationMs: this.#duration(event.runId, event.at), size: null, outcome: 'failed', code: event.error.code });
        onChange('runs');
      }),
      bus.on$('backup.version.damaged').subscribe((event) => {
        this.#push({ jobId: event.jobId ?? '', at: event.at, durationMs: null, size: null, outcome: 'damaged', code: event.reason });
        onChange('runs');
      }),
      bus.on$('reply.ready').subscribe(() => {
        this.#countRequest();
        onChange('requests');
      }),
    ];
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
  }

  /** Runs of the last day, oldest first; with `afterSeq`, only those after it (what a page that has them lacks). */
  runs(afterSeq = 0): RunPoint[] {
    const since = this.#clock.now() - DAY_MS;
    // From the back: a page asks for the few runs since its last push, not for a day of them.
    let first = this.#runs.length;
    while (first > 0 && (this.#runs[first - 1]?.seq ?? 0) > afterSeq) first--;
    return this.#runs.slice(first).filter((run) => run.at >= since);
  }

  /** The newest runs, newest first (the page's list). */
  recent(count: number): RunPoint[] {
    return this.#runs.slice(-count).reverse();
  }

  /** The `seq` of the newest run (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The requests answered per bucket over the window, ending with the current bucket. */
  requestRate(): RequestRate {
    this.#advance();
    const size = this.#counts.length;
    const counts: number[] = [];
    // Oldest first: the slot after the head is the oldest.
    for (let i = 1; i <= size; i++) counts.push(this.#counts[(this.#head + i) % size] ?? 0);
    return { bucketMs: this.#bucketMs, start: (this.#headBucket - size + 1) * this.#bucketMs, counts };
  }

  #duration(runId: string, endedAt: number): number | null {
    const startedAt = this.#started.get(runId);
    this.#started.delete(runId);
    return startedAt === undefined ? null : Math.max(0, endedAt - startedAt);
  }

  #push(point: Omit<RunPoint, 'seq'>): void {
    this.#runs.push({ seq: ++this.#lastSeq, ...point });
    // Runs arrive in time order (the seed sorts its own), so what is older than a day is at the front.
    const since = this.#clock.now() - DAY_MS;
    let old = 0;
    while (old < this.#runs.length && (this.#runs[old]?.at ?? 0) < since) old++;
    const drop = Math.max(old, this.#runs.length - this.#maxRuns);
    if (drop > 0) this.#runs.splice(0, drop);
  }

  /** Runs held in memory (those of the last day, at most `maxRuns`). */
  get size(): number {
    return this.#runs.length;
  }

  #countRequest(): void {
    this.#advance();
    this.#counts[this.#head] = (this.#counts[this.#head] ?? 0) + 1;
  }

  /** Moves the head to the current bucket, zeroing the buckets passed over (all of them after a long quiet). */
  #advance(): void {
    const bucket = Math.floor(this.#clock.now() / this.#bucketMs);
    const steps = Math.min(bucket - this.#headBucket, this.#counts.length);
    for (let i = 0; i < steps; i++) {
      this.#head = (this.#head + 1) % this.#counts.length;
      this.#counts[this.#head] = 0;
    }
    if (bucket > this.#headBucket) this.#headBucket = bucket;
  }
}
