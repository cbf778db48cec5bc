import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import { ReplyChannelAdapter } from '../../adapters/reply-channel/reply-channel-adapter.ts';
import { SocketAdapter } from '../../adapters/socket/socket-adapter.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { BackupService } from '../backup/backup-service.ts';
import { BackupCatalog } from '../backup/catalog.ts';
import type { BackupJob, BackupJobSpec } from '../backup/job.ts';
import type { JobState, LastRun, ServiceStatus } from '../backup/job-report.ts';
import { localBackupFiles } from '../backup/local-backup-files.ts';
import { calendarFor } from '../backup/retention-calendar.ts';
import { VersionVerifier } from '../backup/version-verifier.ts';
import type { BackupVersion } from '../backup/version.ts';
import { openPasswordBook } from '../book/open-password-book.ts';
import type { PasswordBook } from '../book/password-book.ts';
import type { PasswordHasher } from '../book/password-hasher.ts';
import { loadServiceKey } from '../book/service-key.ts';
import { Bus } from '../bus/bus.ts';
import type { HostStarted } from '../bus/events.ts';
import type { Clock } from '../clock/clock.ts';
import { BACKUP_FILES_OPS, type BackupFiles } from '../ports/backup-files.ts';
import type { HostAdapter } from '../ports/host-adapter.ts';
import { RequestTimeoutError } from '../protocol/errors.ts';
import { jsonDialect } from '../protocol/json-dialect.ts';
import type { Command } from '../protocol/commands.ts';
import type { RequestSettled } from '../protocol/messages.ts';
import { textDialect } from '../protocol/text-dialect.ts';
import type { PortGate } from '../replay/port-gate.ts';
import { Recorder } from '../replay/recorder.ts';
import { openRecordingFile, recordingHeader } from '../replay/recording-file.ts';
import { SecretPlaceholders } from '../replay/secret-placeholders.ts';
import { StoreClient } from '../store/store-client.ts';
import { BackupScheduler, type CompletedRun } from './backup-scheduler.ts';
import { packageVersion } from '../cli/package-version.ts';
import { createCommandHandler } from './command-handler.ts';
import { errorFromShape } from './error-from-shape.ts';
import { HostStoppedError } from './errors.ts';
import { resolveHostOptions, type HostOptions, type ResolvedHostOptions } from './host-options.ts';
import { commandFor, resultOf, type HostRequestName, type HostRequestParams, type HostRequestResult, type RequestOptions } from './host-requests.ts';
import { InProcessRequests } from './in-process-requests.ts';
import { orderedJobs } from './job-status.ts';
import { PathPolicy } from './path-policy.ts';
import { RequestRouter } from './request-router.ts';
import { VerifyScheduler } from './verify-scheduler.ts';

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
  readonly #stopSteps: (() => Promise<void> | void)[];
  #stopping: Promise<void> | null = null;
  /** Callers of `request` still waiting for their answer, by request id. */
  readonly #waiting = new Map<string, (settled: RequestSettled | Error) => void>();

  /** @internal Use `startHost`. */
  constructor(parts: {
    bus: Bus;
    options: ResolvedHostOptions;
    service: BackupService;
    book: PasswordBook;
    scheduler: BackupScheduler;
    socket: SocketAdapter | null;
    stopSteps: (() => Promise<void> | void)[];
  }) {
    this.book = parts.book;
    this.bus = parts.bus;
    this.options = parts.options;
    this.clock = parts.options.clock;
    this.#service = parts.service;
    this.#scheduler = parts.scheduler;
    this.#socket = parts.socket;
    this.#stopSteps = parts.stopSteps;
    this.bus.on('request.settled', (settled) => this.#waiting.get(settled.requestId)?.(settled));
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
    const { ids, requestTimeouts } = this.options;
    const requestId = ids.next('req');
    // A restore keeps the source as a version first: a backup's time limit.
    const long = name === 'backup.run' || name === 'backup.verify' || name === 'backup.restore';
    const timeoutMs = options.timeoutMs ?? (long ? requestTimeouts.backupMs : requestTimeouts.defaultMs);
    return new Promise<HostRequestResult<K>>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => settle(new RequestTimeoutError(`'${name}' was not answered within ${timeoutMs} ms; what it started may still finish`)),
        timeoutMs,
      );
      const settle = (settled: RequestSettled | Error): void => {
        this.#waiting.delete(requestId);
        this.clock.clearTimeout(timer);
        if (settled instanceof Error) reject(settled);
        else if (settled.ok) resolve(resultOf<K>(settled.result));
        else reject(errorFromShape(settled.error));
      };
      this.#waiting.set(requestId, settle);
      void this.bus.emit('request.submitted', { requestId, command, clientAddress: options.clientAddress ?? 'in-process' });
    });
  }

  /** Where the socket listens (with the real port when 0 was asked), or null without a socket. */
  get address(): { host: string; port: number } | null {
    return this.#socket?.address() ?? null;
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
    const settled = await this.#submit({ kind: 'job.add', spec, configured: true }, 'job.add', {});
    return (settled as { job: BackupJob }).job;
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
    })();
    return this.#stopping;
  }
}

const HASHER_OPS = ['hash', 'verify', 'verifyDecoy', 'prepareDecoy', 'deriveKey'] as const;

/**
 * @internal How the replay harness runs a host: on its own bus, with its
 * recorder, and with stand-ins for the edges it answers from a recording.
 */
export interface HostInternals {
  readonly bus?: Bus;
  readonly recorder?: Recorder;
  /** False: no store adapter; the store's results come from elsewhere. */
  readonly startStore?: boolean;
  readonly files?: BackupFiles;
  readonly loadServiceKey?: () => Promise<Buffer>;
  /** Holds each hash's result until the replay releases it. */
  readonly hasherGate?: PortGate;
  /** What `host.started` says about the socket, when there is none to ask. */
  readonly listening?: HostStarted['listening'];
}

/** Starts a host: takes the data directory, loads the catalog, opens the socket, schedules the jobs. */
export async function startHost(hostOptions: HostOptions, internals: HostInternals = {}): Promise<Host> {
  const options = resolveHostOptions(hostOptions);
  const bus = internals.bus ?? new Bus();
  // Undo list: whatever started is stopped, in reverse, if a later step fails.
  const started: (() => Promise<void> | void)[] = [];
  const startAdapter = async (adapter: HostAdapter) => {
    await adapter.start(bus);
    started.unshift(() => adapter.stop());
  };

  try {
    const recording = !internals.recorder && options.record ? await openRecordingFile(options.record, recordingHeader(options)) : null;
    if (recording) started.unshift(() => recording.close());
    const recorder =
      internals.recorder ?? (recording ? new Recorder({ sink: recording.sink, clock: options.clock, placeholders: new SecretPlaceholders(), startedAt: recording.header.startedAt }) : null);
    const detach = recorder?.attach(bus);
    // A replay keeps its recorder to the end: edge inputs recorded during the stop (connections closing) must still be fed and checked.
    if (detach && !internals.recorder) started.unshift(detach);
    // The edges (adapters) keep the real clock and ids; the core gets the recorded ones, so a replay can hand them back.
    const { clock, ids } = options;
    const files = internals.files ?? localBackupFiles;
    const core = recorder
      ? { clock: recorder.clock(), ids: recorder.ids(ids), files: recorder.port('files', files, BACKUP_FILES_OPS) }
      : { clock, ids, files };

    if (options.console) {
      await startAdapter(new ConsoleReporter({ out: options.console.out, clock, verbose: options.console.verbose ?? false }));
    }
    if (internals.startStore !== false) await startAdapter(new LowdbStore({ dataDir: options.dataDir, ids }));
    const storeClient = new StoreClient(bus, core.ids);
    started.unshift(() => storeClient.dispose());

    const service = new BackupService({
      catalog: new BackupCatalog(storeClient),
      bus,
      clock: core.clock,
      ids: core.ids,
      backupDir: options.backupDir,
      files: core.files,
      verifyCopies: options.verifyCopies,
      calendar: calendarFor(options.retentionTimeZone),
      ownFolders: [options.dataDir],
    });
    const report = await service.load();
    const activeJobs = options.jobs ? await upsertAll(service, options.jobs) : service.jobs().filter((job) => job.removedAt === undefined);

    const book = await openPasswordBook({
      store: storeClient,
      dataDir: options.dataDir,
      clock: core.clock,
      ids: core.ids,
      random: options.random,
      options: options.book,
      loadServiceKey:
        internals.loadServiceKey ??
        (() => loadServiceKey(options.dataDir, options.random, { onNote: (note) => void bus.emit('host.repaired', { subject: 'service-key', note }) })),
      // Hashes finish on the thread pool in no fixed order: recorded, that order becomes an input too.
      ...(recorder
        ? { wrapHasher: (hasher: PasswordHasher) => recorder.port('hasher', internals.hasherGate?.wrap(hasher, HASHER_OPS) ?? hasher, HASHER_OPS, { secret: true }) }
        : {}),
    });

    const scheduler = new BackupScheduler({ bus, clock: core.clock, progressClock: clock, ids: core.ids, service, retry: options.retry });
    const stopScheduler = () => scheduler.stop();
    started.unshift(stopScheduler);
    const verifier = new VersionVerifier({ service, files: core.files, bus, clock: core.clock });
    // A version revert found changed is looked at in full at once: offered again if intact, quarantined if not.
    service.onMismatch = (version) => void verifier.verifyOne(version).catch(() => undefined);
    const scrub = new VerifyScheduler({ clock: core.clock, verifier, intervalMs: options.verifyIntervalMs, busy: () => scheduler.isCopying() });
    started.unshift(() => scrub.stop());
    const policy = new PathPolicy({ allowed: options.allowedPaths, forbidden: [options.dataDir, options.backupDir], files: core.files });
    const facts = { version: await packageVersion(), startedAt: core.clock.now() };
    const handler = createCommandHandler({ service, scheduler, verifier, book, policy, files: core.files, ids: core.ids, clock: core.clock, facts, bus });
    const router = new RequestRouter({
      bus,
      clock: core.clock,
      handler,
      codecs: { text: textDialect, json: jsonDialect },
      timeouts: options.requestTimeouts,
    });
    router.start();
    const inProcess = new InProcessRequests({ bus, clock: core.clock, handler });
    inProcess.start();
    // One grace for the whole stop: the socket drains first, and in-process callers get what is left of it, not a second one.
    let stopAskedAt: number | null = null;
    bus.on('host.stopping', () => {
      stopAskedAt ??= core.clock.now();
    });
    const graceLeft = () => Math.max(0, options.shutdownGraceMs - (core.clock.now() - (stopAskedAt ?? core.clock.now())));
    started.unshift(() => inProcess.stop(graceLeft()));
    // Stopped after the socket: connections being drained still get their replies through it.
    started.unshift(() => router.stop());
    if (options.replyTo) await startAdapter(new ReplyChannelAdapter({ ...options.replyTo, clock }));
    let socket: SocketAdapter | null = null;
    if (options.socket) {
      socket = new SocketAdapter({ ...options.socket, ids, clock, shutdownGraceMs: options.shutdownGraceMs });
      await startAdapter(socket);
    }
    for (const adapter of options.adapters) await startAdapter(adapter);

    await bus.emit('backup.jobs.loaded', {
      jobs: service.jobs(),
      activeJobIds: activeJobs.map((job) => job.id),
      missingVersionIds: report.missing.map((version) => version.id),
      leftoversRemoved: report.leftoversRemoved,
      damagedJobIds: report.damagedJobs.map((record) => record.key),
      damagedVersionIds: report.damagedVersions.map((record) => record.key),
      orphansAdopted: report.orphansAdopted.map((version) => version.id),
      orphansRemoved: report.orphansRemoved,
      ...(report.catalogUnreadable.length > 0 ? { catalogUnreadable: report.catalogUnreadable } : {}),
      ...(report.restoresSettled.length > 0 ? { restoresSettled: report.restoresSettled } : {}),
    });
    for (const job of activeJobs) scheduler.start(job.id);
    scrub.start();
    await bus.emit('host.started', { listening: internals.listening !== undefined ? internals.listening : (socket?.address() ?? null) });

    // A normal stop undoes the start in reverse, except that the scheduler goes first: its abandoned
    // copies then answer the clients waiting on them while the socket is still there to carry the replies.
    const stopSteps = [() => scheduler.stop(), ...started.filter((step) => step !== stopScheduler)];
    return new Host({ bus, options, service, book, scheduler, socket, stopSteps });
  } catch (error) {
    for (const stop of started) await Promise.resolve(stop()).catch(() => undefined);
    throw error;
  }
}

async function upsertAll(service: BackupService, specs: readonly BackupJobSpec[]): Promise<BackupJob[]> {
  const jobs: BackupJob[] = [];
  for (const spec of specs) jobs.push(await service.upsertJob(spec));
  return jobs;
}
