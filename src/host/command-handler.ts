import type { BackupService } from '../backup/backup-service.ts';
import type { VerifyReport } from '../backup/version-check.ts';
import { NoBackupJobError, UnknownJobError } from '../backup/errors.ts';
import type { BackupJob } from '../backup/job.ts';
import type { VersionVerifier } from '../backup/version-verifier.ts';
import type { PasswordBook } from '../book/password-book.ts';
import type { Command, CommandContext, CommandHandler, CommandResults } from '../protocol/commands.ts';
import type { BackupScheduler } from './backup-scheduler.ts';

/**
 * Carries out commands: backup commands against the backup service (without a
 * job name, on the default job: the first active one, else the first saved),
 * `verify` with the version verifier, book commands against the password book.
 */
export function createCommandHandler(service: BackupService, scheduler: BackupScheduler, verifier: VersionVerifier, book: PasswordBook): CommandHandler {
  const defaultJob = (): BackupJob | undefined => {
    const [firstActive] = scheduler.activeJobIds();
    return (firstActive ? service.job(firstActive) : undefined) ?? service.jobs()[0];
  };

  const resolveJob = (ref: string | null): BackupJob | undefined => {
    if (ref === null) return defaultJob();
    const job = service.findJob(ref);
    if (!job) throw new UnknownJobError(`There is no backup job '${ref}'`);
    return job;
  };

  const activeJob = (ref: string | null): BackupJob => {
    const job = resolveJob(ref);
    if (!job) throw new NoBackupJobError('No backup job is configured; start safekeep with --source PATH');
    if (!scheduler.isActive(job.id)) throw new UnknownJobError(`The backup job '${job.id}' is not active in this run`);
    return job;
  };

  /** The requested verification pass running now, which later requests join. */
  let requestedPass: Promise<VerifyReport> | null = null;

  const handlers: { [K in Command['kind']]: (command: Extract<Command, { kind: K }>, context: CommandContext) => Promise<CommandResults[K]> } = {
    async 'backup.run'(command) {
      const job = activeJob(command.job);
      const run = await scheduler.runNow(job.id);
      return { kind: 'backup.run', outcome: run.kind, version: run.version };
    },
    async 'backup.revert'(command) {
      const job = resolveJob(command.job);
      return { kind: 'backup.revert', version: job ? await service.revertable(job.id) : null };
    },
    async 'backup.verify'() {
      // Anyone may ask, so asking again while a pass runs joins that pass: a thousand requests are one re-hash, not a thousand.
      requestedPass ??= verifier.verifyAll({ trigger: 'request' }).finally(() => (requestedPass = null));
      return { kind: 'backup.verify', report: await requestedPass };
    },
    async 'backup.forget'(command) {
      const job = resolveJob(command.job) as BackupJob;
      const report = await service.forget(job.id, { ...(command.policy ? { policy: command.policy } : {}), dryRun: command.dryRun });
      return { kind: 'backup.forget', report };
    },
    async 'job.add'(command) {
      const job = await service.upsertJob(command.spec);
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
    async 'connection.exit'() {
      return { kind: 'connection.exit' };
    },
    async book(command, context) {
      const result = await book.handle(command.request, { address: context.clientAddress });
      return { kind: 'book', type: command.request.type, result };
    },
  };

  return (command, context) => (handlers[command.kind] as (command: Command, context: CommandContext) => Promise<never>)(command, context);
}
