import path from 'node:path';
import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import { LogAdapter } from '../../adapters/log/log-adapter.ts';
import type { HttpAdapter } from '../../adapters/http/http-adapter.ts';
import { SocketAdapter } from '../../adapters/socket/socket-adapter.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { acquireDataDirLock } from '../../adapters/store/data-dir-lock.ts';
import { makeDirectory } from '../fs/make-directory.ts';
import { fixedPlacement, leasedPlacement, type JobPlacement } from '../cluster/job-placement.ts';
import { SharedJobs } from '../cluster/shared-jobs.ts';
import { sharedJobCheck } from '../cluster/shared-job-check.ts';
import { JOB_LEASES_OPS, type JobLeases } from '../ports/job-leases.ts';
import { BackupService, type BackupServiceDeps } from '../backup/backup-service.ts';
import { BackupCatalog } from '../backup/catalog.ts';
import type { BackupJob, BackupJobSpec } from '../backup/job.ts';
import type { BackupVersion } from '../backup/version.ts';
import { localBackupFiles } from '../backup/local-backup-files.ts';
import { calendarFor } from '../backup/retention-calendar.ts';
import { VersionVerifier } from '../backup/version-verifier.ts';
import { openPasswordBook, startPasswordHasher } from '../book/open-password-book.ts';
import type { PasswordHasher } from '../book/password-hasher.ts';
import { loadServiceKey } from '../book/service-key.ts';
import { Bus } from '../bus/bus.ts';
import type { HostStarted } from '../bus/events.ts';
import { BACKUP_FILES_OPS, type BackupFiles } from '../ports/backup-files.ts';
import type { HostAdapter } from '../ports/host-adapter.ts';
import { VERSION_BLOBS_OPS, type VersionBlobs } from '../ports/version-blobs.ts';
import { jsonDialect } from '../protocol/json-dialect.ts';
import { textDialect } from '../protocol/text-dialect.ts';
import type { PortGate } from '../replay/port-gate.ts';
import type { Recorder } from '../replay/recorder.ts';
import type { RecordingFile } from '../replay/recording-file.ts';
import { StoreClient } from '../store/store-client.ts';
import { keyCheckOf } from '../cluster/key-check.ts';
import { checkServiceKey, clusterRouting, joinCluster, startCluster, type ClusterParts, type ReplayedCluster } from './cluster-wiring.ts';
import { BackupScheduler } from './backup-scheduler.ts';
import { packageVersion } from '../cli/package-version.ts';
import { createCommandHandler } from './command-handler.ts';
import { resolveHostOptions, type HostOptions, type ResolvedHostOptions } from './host-options.ts';
import { InProcessRequests } from './in-process-requests.ts';
import { logSettings } from './log-settings.ts';
import { PathPolicy } from './path-policy.ts';
import { RequestRouter } from './request-router.ts';
import { VerifyScheduler } from './verify-scheduler.ts';
import { Host } from './host.ts';

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
  /** A replay of a cluster node: its name and the routed requests' answers (from the recording), without a cluster. */
  readonly cluster?: ReplayedCluster;
  /** What `host.started` says about the socket, when there is none to ask. */
  readonly listening?: HostStarted['listening'];
  /** A replay of a cluster node: its shared jobs' leases answered from the recording, without NATS. */
  readonly leases?: { readonly port: JobLeases; readonly node: string; readonly leaseTtlMs: number };
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
    // Begun first so that its decoy hash runs on the thread pool while the store opens; the book waits for it.
    const hasher = startPasswordHasher(options.book, options.random);
    // A few reads up the folder tree for package.json, made while the store opens rather than after.
    const version = packageVersion();
    version.catch(() => undefined); // awaited below; a start that fails first must not leave it unhandled
    const recording = !internals.recorder && options.record ? await startRecording(options.record, options) : null;
    if (recording) started.unshift(() => recording.file.close());
    const recorder = internals.recorder ?? recording?.recorder ?? null;
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
    // Started before the store, like the console, so the store's start-up problems are logged too.
    if (options.log) await startAdapter(new LogAdapter({ ...logSettings(options.log), clock }));
    if (options.notify && (options.notify.onFailure ?? options.notify.webhookUrl ?? options.notify.heartbeatUrl) !== undefined) {
      // Loaded only when asked for; started early and so stopped late: failures the stop itself causes are still told.
      const { NotifyAdapter } = await import('../../adapters/notify/notify-adapter.ts');
      await startAdapter(new NotifyAdapter(options.notify));
    }
    const cluster = await startCluster(options, internals.cluster, { clock, ids, startAdapter });
    const clusterParts: ClusterParts = { cluster, replayed: internals.cluster, recorder };
    let store: (HostAdapter & { countNow(collection: string): number }) | null = null;
    if (internals.startStore !== false && cluster?.store) {
      // The cluster keeps the book and the catalog; the data directory still holds this node's key, backups and cache, one process at a time.
      await makeDirectory(options.dataDir, 0o700);
      const lock = await acquireDataDirLock(options.dataDir, () => ids.next('lock'));
      started.unshift(() => lock.release());
      store = cluster.store;
    } else if (internals.startStore !== false) {
      store = new LowdbStore({ dataDir: options.dataDir, ids, ...(options.checkpointLogBytes ? { checkpointLogBytes: options.checkpointLogBytes } : {}) });
    }
    if (store) await startAdapter(store);
    const loadKey =
      internals.loadServiceKey ??
      (() => loadServiceKey(options.dataDir, options.random, { onNote: (note) => void bus.emit('host.repaired', { subject: 'service-key', note }) }));
    // Before the catalog loads: a cluster node with another service key than the cluster's refuses to start.
    let serviceKey = await checkServiceKey(clusterParts, loadKey);
    // Which jobs run here: in a cluster, this node's own and the shared jobs whose lease it holds (the lease loop, started below).
    // The scheduler is made later; the loop only reaches it once started.
    const late: { scheduler?: BackupScheduler } = {};
    const commandLineShared = new Set<string>();
    const isShared = (job: BackupJob) => job.shared === true || commandLineShared.has(job.id);
    const leasing = cluster && options.cluster ? { port: cluster.leases, node: cluster.node, leaseTtlMs: options.cluster.leaseTtlMs } : (internals.leases ?? null);
    const sharedJobs: SharedJobs | null = leasing
      ? new SharedJobs({
          leases: recorder ? recorder.port('leases', leasing.port, JOB_LEASES_OPS) : leasing.port,
          clock: core.clock,
          bus,
          node: leasing.node,
          leaseTtlMs: leasing.leaseTtlMs,
          scheduler: { start: (jobId) => late.scheduler?.start(jobId), remove: async (jobId) => late.scheduler?.remove(jobId) },
          sharedJobIds: (): string[] => service.jobs().filter((job) => job.removedAt === undefined && isShared(job)).map((job) => job.id),
          // The fence asks of the job record, so a shared job removed mid-copy (no longer listed) is still fenced.
          isShared: (jobId: string) => {
            const job = service.job(jobId);
            return job !== undefined && isShared(job);
          },
        })
      : null;
    const placement: JobPlacement = leasing && sharedJobs ? leasedPlacement(leasing.node, sharedJobs, isShared) : fixedPlacement(cluster?.node ?? internals.cluster?.node);
    // In a cluster: which node runs which job, the routes to the others, and what their events said.
    const { facts: clusterFacts, pageFacts: pageClusterFacts, routing } = clusterRouting(clusterParts, { bus, placement, options, started });
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
      ...(cluster ? clusterDeps(cluster, options.dataDir, recorder) : internals.cluster ? clusterDeps(internals.cluster, options.dataDir, recorder) : {}),
      // In a cluster: which jobs this node may run and prune, and the lease fence before a shared job's version is registered.
      ...(leasing && sharedJobs ? { placement, beforeRegister: (version: BackupVersion) => sharedJobs.fence(version) } : {}),
    });
    // Another node's catalog writes, applied to this node's jobs and versions.
    if (cluster) {
      const remote = bus.on$('store.changed').subscribe((change) => void service.applyRemote(change).catch(() => undefined));
      started.unshift(() => remote.unsubscribe());
    }
    const report = await service.load();
    const activeJobs = options.jobs ? await upsertAll(service, options.jobs) : service.jobs().filter((job) => job.removedAt === undefined);
    if (leasing) {
      // upsertAll keeps the order of the specs: job i is the command line's job i.
      for (const [index, job] of activeJobs.entries()) {
        if (options.jobs?.[index]?.shared === true) commandLineShared.add(job.id);
      }
      sharedJobCheck(activeJobs.filter(isShared), leasing.leaseTtlMs);
    }

    const book = await openPasswordBook({
      store: storeClient,
      dataDir: options.dataDir,
      clock: core.clock,
      ids: core.ids,
      random: options.random,
      options: options.book,
      hasher,
      // A cluster node loaded it for its key check; the join publishes its HMAC, never the key itself.
      loadServiceKey: async () => serviceKey ?? (serviceKey = await loadKey()),
      // Hashes finish on the thread pool in no fixed order: recorded, that order becomes an input too.
      ...(recorder
        ? { wrapHasher: (hasher: PasswordHasher) => recorder.port('hasher', internals.hasherGate?.wrap(hasher, HASHER_OPS) ?? hasher, HASHER_OPS, { secret: true }) }
        : {}),
    });

    const scheduler = new BackupScheduler({
      bus,
      clock: core.clock,
      progressClock: clock,
      ids: core.ids,
      service,
      retry: options.retry,
      ...(leasing ? { mayRun: (jobId: string) => placement.runsHere(service.job(jobId) as BackupJob) } : {}),
    });
    late.scheduler = scheduler;
    const stopScheduler = () => scheduler.stop();
    started.unshift(stopScheduler);
    // Stopped before the scheduler (see stopSteps): no lease is taken while the jobs stop, and the leases are given up after.
    const stopSharedJobs = () => sharedJobs?.stop();
    started.unshift(stopSharedJobs);
    const verifier = new VersionVerifier({ service, files: core.files, bus, clock: core.clock });
    // A version revert found changed is looked at in full at once: offered again if intact, quarantined if not.
    service.onMismatch = (version) => void verifier.verifyOne(version).catch(() => undefined);
    const scrub = new VerifyScheduler({ clock: core.clock, verifier, intervalMs: options.verifyIntervalMs, busy: () => scheduler.isCopying() });
    started.unshift(() => scrub.stop());
    const policy = new PathPolicy({ allowed: options.allowedPaths, forbidden: [options.dataDir, options.backupDir], files: core.files });
    const facts = { version: await version, startedAt: core.clock.now() };
    const handler = createCommandHandler({
      service,
      scheduler,
      verifier,
      book,
      policy,
      files: core.files,
      ids: core.ids,
      clock: core.clock,
      facts,
      bus,
      ...(routing ? { routing } : {}),
      ...(clusterFacts ? { cluster: clusterFacts } : {}),
    });
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
    if (options.replyTo) {
      // Only the seed's clients ask for replies on a connection of their own: loaded for them alone.
      const { ReplyChannelAdapter } = await import('../../adapters/reply-channel/reply-channel-adapter.ts');
      await startAdapter(new ReplyChannelAdapter({ ...options.replyTo, clock }));
    }
    let socket: SocketAdapter | null = null;
    if (options.socket) {
      socket = new SocketAdapter({ ...options.socket, ids, clock, shutdownGraceMs: options.shutdownGraceMs });
      await startAdapter(socket);
    }
    let http: HttpAdapter | null = null;
    if (options.http) {
      // Loaded only when asked for, as the reply channel is: most runs have no page, and the bundle need not load it.
      const [{ HttpAdapter }, { HostStatusSource }] = await Promise.all([import('../../adapters/http/http-adapter.ts'), import('./host-status-source.ts')]);
      const status = new HostStatusSource({ service, scheduler, facts, clock: core.clock, count: (collection) => store?.countNow(collection) ?? 0, ...(pageClusterFacts ? { cluster: pageClusterFacts } : {}) });
      const seed = service.jobs().flatMap((job) => service.catalogedVersions(job.id).map((version) => ({ jobId: job.id, createdAt: version.createdAt, size: version.size })));
      http = new HttpAdapter({ host: options.http.host ?? '127.0.0.1', port: options.http.port, clock, status, seed });
      await startAdapter(http);
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
    sharedJobs?.start();
    scrub.start();
    // One of the cluster's live nodes from now on: it serves, and says so every few seconds.
    await joinCluster(clusterParts, async () => {
      const key = serviceKey ?? (serviceKey = await loadKey());
      return { startedAt: facts.startedAt, version: facts.version, keyCheck: keyCheckOf(key), listening: () => socket?.address() ?? null, jobs: () => scheduler.activeJobIds() };
    });
    await bus.emit('host.started', { listening: internals.listening !== undefined ? internals.listening : (socket?.address() ?? null) });

    // A normal stop undoes the start in reverse, except that the scheduler goes first: its abandoned
    // copies then answer the clients waiting on them while the socket is still there to carry the replies.
    const stopSteps = [stopSharedJobs, stopScheduler, ...started.filter((step) => step !== stopScheduler && step !== stopSharedJobs)];
    return new Host({ bus, options, service, book, scheduler, socket, http, stopSteps });
  } catch (error) {
    for (const stop of started) await Promise.resolve(stop()).catch(() => undefined);
    throw error;
  }
}

/**
 * Opens the recording file and makes its recorder. A start that records is
 * rare, so the recorder's code is loaded only then.
 */
async function startRecording(file: string, options: ResolvedHostOptions): Promise<{ file: RecordingFile; recorder: Recorder }> {
  const [{ Recorder }, { openRecordingFile, recordingHeader }, { SecretPlaceholders }] = await Promise.all([
    import('../replay/recorder.ts'),
    import('../replay/recording-file.ts'),
    import('../replay/secret-placeholders.ts'),
  ]);
  const recording = await openRecordingFile(file, recordingHeader(options));
  return { file: recording, recorder: new Recorder({ sink: recording.sink, clock: options.clock, placeholders: new SecretPlaceholders(), startedAt: recording.header.startedAt }) };
}

/** What a clustered node's backup service adds: its name, the object store (recorded like the files port), its cache. */
function clusterDeps(cluster: { readonly node: string; readonly blobs?: VersionBlobs | null }, dataDir: string, recorder: Recorder | null): Pick<BackupServiceDeps, 'node' | 'blobs' | 'cacheDir'> {
  const blobs = cluster.blobs && recorder ? recorder.port('blobs', cluster.blobs, VERSION_BLOBS_OPS) : cluster.blobs;
  return { node: cluster.node, ...(blobs ? { blobs } : {}), cacheDir: path.join(dataDir, 'cache') };
}

async function upsertAll(service: BackupService, specs: readonly BackupJobSpec[]): Promise<BackupJob[]> {
  const jobs: BackupJob[] = [];
  for (const spec of specs) jobs.push(await service.upsertJob(spec));
  return jobs;
}
