import type { SocketAdapter } from '../../adapters/socket/socket-adapter.ts';
import type { BackupService } from '../backup/backup-service.ts';
import type { BackupJob, BackupJobSpec } from '../backup/job.ts';
import type { JobState, LastRun, ServiceStatus } from '../backup/job-report.ts';
import type { BackupVersion } from '../backup/version.ts';
import type { PasswordBook } from '../book/password-book.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { Deadlines } from '../clock/deadlines.ts';
import { RequestTimeoutError } from '../protocol/errors.ts';
import type { Command } from '../protocol/commands.ts';
import type { RequestSettled } from '../protocol/messages.ts';
import type { BackupScheduler, CompletedRun } from './backup-scheduler.ts';
import { errorFromShape } from './error-from-shape.ts';
import { HostStoppedError } from './errors.ts';
import type { ResolvedHostOptions } from './host-options.ts';
import { commandFor, resultOf, type HostRequestName, type HostRequestParams, type HostRequestResult, type RequestOptions } from './host-requests.ts';
import { orderedJobs } from './job-status.ts';

/** A job as the host reports it. */
export interface JobStatus extends BackupJob {
  /** `scheduled`, `copying`, `paused`, `failed` (waiting to retry), `removed`, or `inactive` for a saved job not scheduled in this run. */
  readonly state: JobState;
  readonly newest: BackupVersion | null;
  /** Versions offered for revert. */
  readonly versions: number;
  readonly lastRun: LastRun | null;
  /** When its next scheduled run is due, or null. */
  readonly nextRunAt: number | null;
}

/**
 * A running safekeep: the bus, the store, the backup jobs, the request flow
 * and (unless turned off) the socket. Create one with `startHost`.
 *
 * @example
 * const host = await startHost({ dataDir: './data', jobs: [{ sourcePath: './notes.json', intervalMs: 60_000 }] });
 * host.bus.on$('backup.completed').subscribe((e) => console.log('backed up', e.version.path));
 * await host.stop();
 */
export class Host {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly options: ResolvedHostOptions;
  /** The password book, for in-process use: `host.book.handle({ type: 'users.count' }, { address: 'local' })`. */
  readonly book: PasswordBook;
  readonly #service: BackupService;
  readonly #scheduler: BackupScheduler;
  readonly #socket: SocketAdapter | null;
  readonly #http: { address(): { host: string; port: number } | null } | null;
  readonly #stopSteps: (() => Promise<void> | void)[];
  #stopping: Promise<void> | null = null;
  /** Callers of `request` still waiting for their answer, by request id. */
  readonly #waiting = new Map<string, (settled: RequestSettled | Error) => void>();
  /** Their time limits, on one timer. */
  readonly #deadlines: Deadlines<string>;
  /**
   * Request ids are one id drawn for the host and a count: unique, recorded
   * once for a replay, and without a random draw per request (which cost a
   * tenth of an in-process request).
   */
  readonly #requestIdBase: string;
  #requestCount = 0;

  /** @internal Use `startHost`. */
  constructor(parts: {
    bus: Bus;
    options: ResolvedHostOptions;
    service: BackupService;
    book: PasswordBook;
    scheduler: BackupScheduler;
    socket: SocketAdapter | null;
    http?: { address(): { host: string; port: number } | null } | null;
    stopSteps: (() => Promise<void> | void)[];
  }) {
    this.book = parts.book;
    this.bus = parts.bus;
    this.options = parts.options;
    this.clock = parts.options.clock;
    this.#service = parts.service;
    this.#scheduler = parts.scheduler;
    this.#socket = parts.socket;
    this.#http = parts.http ?? null;
    this.#stopSteps = parts.stopSteps;
    this.#deadlines = new Deadlines(this.clock);
    this.#requestIdBase = parts.options.ids.next('req');
    this.bus.on$('request.settled').subscribe((settled) => this.#waiting.get(settled.requestId)?.(settled));
  }

  /**
   * Sends a typed request through the bus, as a socket client's would go, and
   * resolves with its typed answer. Rejects with the error's own class
   * (`LoginFailedError`, `SourceNotFoundError`…), with `RequestTimeoutError`
   * when no answer comes in time (what it started may still finish), or with
   * `HostStoppedError` once the host is stopping.
   *
   * @example
   * const { version } = await host.request('backup.run', { job: '/home/ann/notes.json' });
   * const { token } = await host.request('session.login', { username: 'ann', masterPassword: new Secret('correct horse') });
   * const { count } = await host.request('users.count', {}, { timeoutMs: 2_000 });
   */
  request<K extends HostRequestName>(name: K, params: HostRequestParams<K>, options: RequestOptions = {}): Promise<HostRequestResult<K>> {
    return this.#submit(commandFor(name, params), name, options);
  }

  #submit<K extends HostRequestName>(command: Command, name: K, options: RequestOptions): Promise<HostRequestResult<K>> {
    if (this.#stopping) return Promise.reject(new HostStoppedError(`The host is stopping; '${name}' was not sent`));
    const { requestTimeouts } = this.options;
    const requestId = `${this.#requestIdBase}.${++this.#requestCount}`;
    // A restore keeps the source as a version first: a backup's time limit.
    const long = name === 'backup.run' || name === 'backup.verify' || name === 'backup.restore';
    const timeoutMs = options.timeoutMs ?? (long ? requestTimeouts.backupMs : requestTimeouts.defaultMs);
    return new Promise<HostRequestResult<K>>((resolve, reject) => {
      const settle = (settled: RequestSettled | Error): void => {
        this.#waiting.delete(requestId);
        this.#deadlines.delete(requestId);
        if (settled instanceof Error) reject(settled);
        else if (settled.ok) resolve(resultOf<K>(settled.result));
        else reject(errorFromShape(settled.error));
      };
      this.#waiting.set(requestId, settle);
      this.#deadlines.add(requestId, this.clock.now() + timeoutMs, () =>
        settle(new RequestTimeoutError(`'${name}' was not answered within ${timeoutMs} ms; what it started may still finish`)),
      );
      void this.bus.emit('request.submitted', { requestId, command, clientAddress: options.clientAddress ?? 'in-process' });
    });
  }

  /** Where the socket listens (with the real port when 0 was asked), or null without a socket. */
  get address(): { host: string; port: number } | null {
    return this.#socket?.address() ?? null;
  }

  /** Where the status page, `/metrics` and `/healthz` are served (`options.http`), or null without them. */
  get httpAddress(): { host: string; port: number } | null {
    return this.#http?.address() ?? null;
  }

  /** Every known job, active ones first in their order (the first is the default job). */
  jobs(): JobStatus[] {
    const history = this.#scheduler.history;
    return orderedJobs(this.#service, this.#scheduler).map((job) => ({
      ...job,
      state: history.stateOf(job.id, this.#scheduler.stateOf(job.id), job.removedAt !== undefined),
      newest: this.#service.newestVersion(job.id),
      versions: this.#service.versions(job.id).length,
      lastRun: history.lastRun(job.id),
      nextRunAt: this.#scheduler.isActive(job.id) ? history.nextRunAt(job.id) : null,
    }));
  }

  /** Every job's state, last and next run and versions, and safekeep's version and uptime. Short for `request('backup.status')`. */
  async status(): Promise<ServiceStatus> {
    return this.request('backup.status', {});
  }

  /**
   * Adds a job for a file (or updates its interval and retention) and starts
   * scheduling it. Short for `request('job.add')`: the source must lead inside
   * one of `allowedPaths`.
   */
  async addJob(spec: BackupJobSpec): Promise<BackupJob> {
    return (await this.request('job.add', spec)).job;
  }

  /**
   * Adds a job as configuration does (`--source`, `jobs`): its source is not
   * checked against `allowedPaths`. For the operator's own tools (the CLI's
   * prompt for a first file), never for paths a client sent.
   */
  async addConfiguredJob(spec: BackupJobSpec): Promise<BackupJob> {
    // Straight to the service, not through the bus: anything that can emit `request.submitted` could claim a flag in the data.
    if (this.#stopping) throw new HostStoppedError("The host is stopping; 'job.add' was not sent");
    const job = await this.#service.upsertJob(spec);
    this.#scheduler.start(job.id);
    return job;
  }

  /** Runs a backup of a job (default: the default job) now; resolves once it is durable. Short for `request('backup.run')`. */
  async runBackup(jobId?: string): Promise<CompletedRun> {
    const { outcome, version } = await this.request('backup.run', jobId === undefined ? {} : { job: jobId });
    return { kind: outcome, version };
  }

  /** The newest complete version of a job (default: the default job), or null. */
  newestVersion(jobId?: string): BackupVersion | null {
    const id = jobId ?? this.jobs()[0]?.id;
    return id === undefined ? null : this.#service.newestVersion(id);
  }

  /** Every registered, intact version of a job, oldest first. */
  versions(jobId: string): readonly BackupVersion[] {
    return this.#service.versions(jobId);
  }

  /** Pauses a job's schedule (a running copy finishes). Short for `request('job.pause')`. */
  async pause(jobId?: string): Promise<void> {
    await this.request('job.pause', jobId === undefined ? {} : { job: jobId });
  }

  /** Resumes a paused job's schedule. Short for `request('job.resume')`. */
  async resume(jobId?: string): Promise<void> {
    await this.request('job.resume', jobId === undefined ? {} : { job: jobId });
  }

  /**
   * Stops gracefully: no new connections or requests; running copies are
   * abandoned and cleaned up; waiting clients and `request` callers get their
   * answers (for up to `shutdownGraceMs`; after it, `HostStoppedError`); the
   * store finishes its writes and releases the data directory. Calling it
   * again returns the same promise.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.#stopping ??= (async () => {
      await this.bus.emit('host.stopping', { reason });
      for (const step of this.#stopSteps) await step();
      for (const settle of [...this.#waiting.values()]) settle(new HostStoppedError('The host stopped before answering'));
      this.#deadlines.clear();
    })();
    return this.#stopping;
  }
}
