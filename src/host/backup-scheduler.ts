import { createActor, fromPromise, type ActorRefFrom } from 'xstate';
import { backupJobMachine, type BackupJobEmitted, type CopyInput, type RetryPolicy } from '../../machines/backup-job.machine.ts';
import type { BackupService } from '../backup/backup-service.ts';
import { CopyAbortedError } from '../backup/errors.ts';
import type { RunOutcome } from '../backup/run-outcome.ts';
import type { BackupVersion } from '../backup/version.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import { copyProgressPublisher } from './copy-progress.ts';
import { errorFromShape } from './error-from-shape.ts';
import { RunHistory } from './run-history.ts';

export interface CompletedRun {
  readonly kind: 'copied' | 'unchanged';
  readonly version: BackupVersion;
}

interface Waiter {
  readonly jobId: string;
  resolve(run: CompletedRun): void;
  reject(error: Error): void;
}

type JobActor = ActorRefFrom<typeof backupJobMachine>;

/**
 * Runs one backup-job machine per active job, gives it the service's copy as
 * its `copy` actor, and turns what the machines emit into `backup.*` events on
 * the bus (with times from the clock). `runNow` is how a request waits for a
 * run of its own.
 */
export class BackupScheduler {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #progressClock: Pick<Clock, 'now'>;
  readonly #ids: IdSource;
  readonly #service: BackupService;
  readonly #retry: RetryPolicy;
  readonly #mayRun: ((jobId: string) => boolean) | undefined;
  readonly #actors = new Map<string, JobActor>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #runsInFlight = new Set<Promise<RunOutcome>>();
  /** The run each job has in flight, so removing a job can wait for it. */
  readonly #runOf = new Map<string, Promise<RunOutcome>>();
  /** Each job's last run and next due time, for `status`. */
  readonly history = new RunHistory();

  /**
   * `progressClock` times `backup.progress` events: the real clock, also when `clock` is a recording's (see copy-progress.ts).
   * `mayRun` (in a cluster): whether a job runs on this node; `start` leaves any other alone (another node's, or a shared job whose lease is elsewhere).
   */
  constructor(deps: { bus: Bus; clock: Clock; progressClock: Pick<Clock, 'now'>; ids: IdSource; service: BackupService; retry: RetryPolicy; mayRun?: (jobId: string) => boolean }) {
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#progressClock = deps.progressClock;
    this.#ids = deps.ids;
    this.#service = deps.service;
    this.#retry = deps.retry;
    this.#mayRun = deps.mayRun;
  }

  /** Ids of the jobs being scheduled, in the order they were started. */
  activeJobIds(): string[] {
    return [...this.#actors.keys()];
  }

  /** The first of `activeJobIds`, without making the list (every `revert` without a job asks). */
  firstActiveJobId(): string | undefined {
    return this.#actors.keys().next().value;
  }

  isActive(jobId: string): boolean {
    return this.#actors.has(jobId);
  }

  /**
   * Starts scheduling a job. The first run is due one interval after the
   * newest version, so a job that is overdue (or new) runs at once. A job
   * that does not run on this node (see `mayRun`) is not started.
   */
  start(jobId: string): void {
    const job = this.#service.job(jobId);
    if (!job || this.#actors.has(jobId)) return;
    if (this.#mayRun && !this.#mayRun(jobId)) return;
    const newest = this.#service.newestVersion(jobId);
    const initialDelayMs = newest ? Math.max(0, newest.createdAt + job.intervalMs - this.#clock.now()) : 0;
    const copy = fromPromise<RunOutcome, CopyInput>(({ input, signal }) => {
      const onProgress = copyProgressPublisher({ bus: this.#bus, clock: this.#progressClock, jobId: input.jobId, runId: input.runId });
      return this.#track(input.jobId, this.#service.run(input.jobId, signal, onProgress));
    });
    const actor = createActor(backupJobMachine.provide({ actors: { copy } }), {
      clock: this.#clock,
      input: { jobId, intervalMs: job.intervalMs, initialDelayMs, retry: this.#retry },
    });
    actor.on('*', (emitted) => this.#forward(emitted));
    this.#actors.set(jobId, actor);
    actor.start();
    actor.send({ type: 'START' });
  }

  /** Runs a job as soon as it can and resolves when that run is done (rejects when it failed). */
  runNow(jobId: string): Promise<CompletedRun> {
    const actor = this.#actors.get(jobId);
    if (!actor) return Promise.reject(new Error(`Job '${jobId}' is not active`));
    const requestId = this.#ids.next('run');
    return new Promise<CompletedRun>((resolve, reject) => {
      this.#waiters.set(requestId, { jobId, resolve, reject });
      actor.send({ type: 'RUN_NOW', requestId });
    });
  }

  pause(jobId: string): void {
    this.#actors.get(jobId)?.send({ type: 'PAUSE' });
  }

  resume(jobId: string): void {
    const actor = this.#actors.get(jobId);
    // Only a paused job takes RESUME (the machine drops it in any other state), so it is sent only then:
    // a macrostep of the machine for nothing was a tenth of a routed resume's CPU on the node that runs the job.
    if (actor?.getSnapshot().matches('paused')) actor.send({ type: 'RESUME' });
  }

  /**
   * Stops scheduling a job for good in this run: a copy it is running is
   * abandoned (its temp file removed) and waited for, and requests waiting on
   * it are answered COPY_ABORTED. Resolves once nothing of the job runs.
   */
  async remove(jobId: string): Promise<void> {
    const actor = this.#actors.get(jobId);
    if (!actor) return;
    this.#actors.delete(jobId);
    actor.stop();
    this.history.unscheduled(jobId);
    for (const [requestId, waiter] of [...this.#waiters]) {
      if (waiter.jobId !== jobId) continue;
      this.#waiters.delete(requestId);
      waiter.reject(new CopyAbortedError('The job was removed; the backup was abandoned'));
    }
    await this.#runOf.get(jobId);
  }

  /** Whether any job is copying now (the scrub waits for it). */
  isCopying(): boolean {
    return [...this.#actors.keys()].some((jobId) => this.stateOf(jobId) === 'copying');
  }

  /** The state a job's machine is in (`scheduled`, `copying`, `paused`…), or undefined if not active. */
  stateOf(jobId: string): string | undefined {
    const value = this.#actors.get(jobId)?.getSnapshot().value;
    return typeof value === 'string' ? value : undefined;
  }

  /** Stops every job: running copies are abandoned (their temp files removed) and waited for. */
  async stop(): Promise<void> {
    for (const actor of this.#actors.values()) actor.stop();
    this.#actors.clear();
    for (const waiter of this.#waiters.values()) waiter.reject(new CopyAbortedError('The service is stopping; the backup was abandoned'));
    this.#waiters.clear();
    await Promise.all(this.#runsInFlight);
  }

  #track(jobId: string, run: Promise<RunOutcome>): Promise<RunOutcome> {
    this.#runsInFlight.add(run);
    this.#runOf.set(jobId, run);
    void run.finally(() => {
      this.#runsInFlight.delete(run);
      if (this.#runOf.get(jobId) === run) this.#runOf.delete(jobId);
    });
    return run;
  }

  #forward(emitted: BackupJobEmitted): void {
    const at = this.#clock.now();
    switch (emitted.type) {
      case 'scheduled':
        this.history.scheduled(emitted.jobId, at + emitted.delayMs);
        void this.#bus.emit('backup.scheduled', { jobId: emitted.jobId, dueAt: at + emitted.delayMs, attempt: emitted.attempt });
        return;
      case 'copy.started':
        this.history.copyStarted(emitted.jobId, at);
        void this.#bus.emit('backup.copy.started', { jobId: emitted.jobId, runId: emitted.runId, at });
        return;
      case 'completed':
        this.history.completed(emitted.jobId, at, emitted.kind, emitted.version);
        for (const id of emitted.requestIds) this.#settle(id, (waiter) => waiter.resolve({ kind: emitted.kind, version: emitted.version }));
        void this.#bus.emit('backup.completed', {
          jobId: emitted.jobId,
          runId: emitted.runId,
          at,
          kind: emitted.kind,
          version: emitted.version,
          requestIds: emitted.requestIds,
        });
        return;
      case 'failed':
        this.history.failed(emitted.jobId, at, emitted.error);
        for (const id of emitted.requestIds) this.#settle(id, (waiter) => waiter.reject(errorFromShape(emitted.error)));
        void this.#bus.emit('backup.failed', {
          jobId: emitted.jobId,
          runId: emitted.runId,
          at,
          error: emitted.error,
          attempt: emitted.attempt,
          requestIds: emitted.requestIds,
        });
        return;
      case 'paused':
        this.history.unscheduled(emitted.jobId);
        void this.#bus.emit('backup.paused', { jobId: emitted.jobId });
        return;
      case 'resumed':
        void this.#bus.emit('backup.resumed', { jobId: emitted.jobId });
        return;
    }
  }

  #settle(requestId: string, settle: (waiter: Waiter) => void): void {
    const waiter = this.#waiters.get(requestId);
    if (!waiter) return;
    this.#waiters.delete(requestId);
    settle(waiter);
  }
}
