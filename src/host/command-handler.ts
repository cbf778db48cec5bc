import type { BackupService } from '../backup/backup-service.ts';
import { JobNotRunningError } from '../cluster/cluster-errors.ts';
import { FROM_NODE } from '../cluster/routed-commands.ts';
import type { VerifyReport } from '../backup/version-check.ts';
import { NoBackupJobError, SourceNotFoundError, UnknownJobError } from '../backup/errors.ts';
import { specWithChanges } from '../backup/job-changes.ts';
import type { BackupJob } from '../backup/job.ts';
import type { VersionVerifier } from '../backup/version-verifier.ts';
import type { PasswordBook } from '../book/password-book.ts';
import { KeyedLock } from '../concurrency/keyed-lock.ts';
import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { Command, CommandContext, CommandHandler, CommandResults } from '../protocol/commands.ts';
import type { Bus } from '../bus/bus.ts';
import type { BackupScheduler } from './backup-scheduler.ts';
import { findVersion } from './find-version.ts';
import { isRouted, remoteRunner, sendToRunner, type ClusterRouting, type RoutedCommand } from './job-routing.ts';
import { clusterNow, serviceStatus, versionListing, type ClusterFacts, type ServiceFacts } from './job-status.ts';
import { echoPath, type PathPolicy } from './path-policy.ts';
import { removeJob } from './remove-job.ts';
import { restoreJob } from './restore-job.ts';

export interface CommandHandlerDeps {
  readonly service: BackupService;
  readonly scheduler: BackupScheduler;
  readonly verifier: VersionVerifier;
  readonly book: PasswordBook;
  readonly policy: PathPolicy;
  readonly files: BackupFiles;
  readonly ids: IdSource;
  readonly clock: Clock;
  readonly facts: ServiceFacts;
  readonly bus: Bus;
  /** In a cluster: commands about a job another node runs go to that node (absent: every job is handled here). */
  readonly routing?: ClusterRouting;
  /** In a cluster: what `status` says about it. */
  readonly cluster?: ClusterFacts;
}

/**
 * Carries out commands: backup commands against the backup service (without a
 * job name, on the default job: the first active one, else the first saved),
 * `verify` with the version verifier, book commands against the password book.
 * Paths a request names go through the path policy. In a cluster, commands
 * that must run where their job runs (a run, pause, resume, removal, restore,
 * forget) go to the node that runs it, and its answer is theirs; read-only
 * ones are answered here, from the catalog.
 */
export function createCommandHandler(deps: CommandHandlerDeps): CommandHandler {
  const { service, scheduler, verifier, book, policy } = deps;
  const defaultJob = (): BackupJob | undefined => {
    const firstActive = scheduler.firstActiveJobId();
    const active = firstActive === undefined ? undefined : service.job(firstActive);
    if (active) return active;
    const saved = service.jobs();
    return saved.find((job) => job.removedAt === undefined) ?? saved[0];
  };

  const resolveJob = (ref: string | null, options: { unknownIsUndefined?: boolean } = {}): BackupJob | undefined => {
    if (ref === null) return defaultJob();
    const job = service.findJob(ref);
    if (!job && options.unknownIsUndefined) return undefined;
    if (!job) throw new UnknownJobError(`There is no backup job '${ref}'`);
    return job;
  };

  const someJob = (ref: string | null): BackupJob => {
    const job = resolveJob(ref);
    if (!job) throw new NoBackupJobError('No backup job is configured; start safekeep with --source PATH');
    return job;
  };

  const activeJob = (ref: string | null): BackupJob => {
    const job = someJob(ref);
    if (!scheduler.isActive(job.id)) throw new UnknownJobError(`The backup job '${job.id}' is not active in this run`);
    return job;
  };

  /** The requested verification pass running now, which later requests join. */
  let requestedPass: Promise<VerifyReport> | null = null;
  /** Restores and removals of one job, one at a time: a restore's keep-then-write must not interleave with another's. */
  const jobLock = new KeyedLock();

  const handlers: { [K in Command['kind']]: (command: Extract<Command, { kind: K }>, context: CommandContext) => Promise<CommandResults[K]> } = {
    async 'backup.run'(command) {
      const job = activeJob(command.job);
      const run = await scheduler.runNow(job.id);
      return { kind: 'backup.run', outcome: run.kind, version: run.version };
    },
    async 'backup.revert'(command) {
      if (command.version !== undefined) {
        return { kind: 'backup.revert', version: await findVersion(service, someJob(command.job), command.version) };
      }
      const job = resolveJob(command.job);
      return { kind: 'backup.revert', version: job ? await service.forRevert(job.id) : null };
    },
    async 'backup.verify'() {
      // Anyone may ask, so asking again while a pass runs joins that pass: a thousand requests are one re-hash, not a thousand.
      requestedPass ??= verifier.verifyAll({ trigger: 'request' }).finally(() => (requestedPass = null));
      return { kind: 'backup.verify', report: await requestedPass };
    },
    async 'backup.status'() {
      const cluster = await clusterNow(deps.cluster);
      return { kind: 'backup.status', status: serviceStatus(service, scheduler, deps.facts, deps.clock.now(), cluster) };
    },
    async 'backup.versions'(command) {
      const job = someJob(command.job);
      return { kind: 'backup.versions', jobId: job.id, versions: versionListing(service.catalogedVersions(job.id)) };
    },
    async 'backup.restore'(command) {
      const job = someJob(command.job);
      const restore = await jobLock.run(job.id, () => restoreJob(deps, job, command.version, command.target));
      void deps.bus.emit('backup.restored', { ...restore, at: deps.clock.now() });
      return { kind: 'backup.restore', restore };
    },
    async 'backup.forget'(command) {
      const job = resolveJob(command.job) as BackupJob;
      const report = await service.forget(job.id, { ...(command.policy ? { policy: command.policy } : {}), dryRun: command.dryRun });
      return { kind: 'backup.forget', report };
    },
    async 'job.add'(command) {
      // Only the configuration names paths freely (Host.addConfiguredJob); a request's must lead where --allow says.
      const requested = command.spec.sourcePath;
      const lookup = await policy.check(requested);
      // A job for nothing would fail on every run; say so now, quoting only what the client sent.
      if (!lookup.exists) throw new SourceNotFoundError(`'${echoPath(requested)}' does not exist`);
      const existing = service.jobs().find((job) => job.sourcePath === lookup.real);
      const job = await service.upsertJob(specWithChanges({ ...command.spec, sourcePath: lookup.real }, existing));
      scheduler.start(job.id);
      return { kind: 'job.add', job };
    },
    async 'job.pause'(command) {
      const job = activeJob(command.job);
      scheduler.pause(job.id);
      return { kind: 'job.pause', jobId: job.id };
    },
    async 'job.resume'(command) {
      const job = activeJob(command.job);
      scheduler.resume(job.id);
      return { kind: 'job.resume', jobId: job.id };
    },
    async 'job.remove'(command) {
      const job = someJob(command.job);
      const removal = await jobLock.run(job.id, () => removeJob(service, scheduler, job, command.forget));
      void deps.bus.emit('backup.job.removed', { ...removal, at: deps.clock.now() });
      return { kind: 'job.remove', removal };
    },
    async 'connection.exit'() {
      return { kind: 'connection.exit' };
    },
    async book(command, context) {
      const result = await book.handle(command.request, { address: context.clientAddress });
      return { kind: 'book', type: command.request.type, result };
    },
  };

  const local = (command: Command, context: CommandContext) => (handlers[command.kind] as (command: Command, context: CommandContext) => Promise<never>)(command, context);
  const { routing } = deps;
  if (!routing) return local;

  /** The node and job id a routed command goes to, or null to handle it here. */
  const routeOf = async (command: RoutedCommand): Promise<{ node: string; jobId: string } | null> => {
    const job = resolveJob(command.job === null ? null : command.job, { unknownIsUndefined: true });
    if (job) {
      const node = remoteRunner(routing, job);
      return node === null ? null : { node, jobId: job.id };
    }
    // Not in this node's catalog (each node keeps its own with --store lowdb): the node that says it runs it.
    return routing.remote.locate(command.job);
  };
  const routed = async (command: RoutedCommand, context: CommandContext): Promise<never> => {
    const route = await routeOf(command);
    if (route === null) return local(command, context);
    // Sent here by another node that took this one for the runner: sending it on could bounce it between two nodes whose views differ.
    if (context.clientAddress.startsWith(FROM_NODE)) {
      throw new JobNotRunningError(`This node does not run job '${route.jobId}' (the node that sent the request thought it did); try again in a few seconds`);
    }
    return (await sendToRunner(routing, route.node, command, route.jobId, context)) as never;
  };
  return (command, context) => (isRouted(command) ? routed(command, context) : local(command, context));
}
