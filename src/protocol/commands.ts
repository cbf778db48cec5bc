import type { ForgetReport } from '../backup/forget-report.ts';
import type { BackupJob } from '../backup/job.ts';
import type { JobChanges } from '../backup/job-changes.ts';
import type { JobRemoval, RestoreReport, ServiceStatus, VersionListing } from '../backup/job-report.ts';
import type { RetentionPolicy } from '../backup/retention.ts';
import type { BackupVersion } from '../backup/version.ts';
import type { VerifyReport } from '../backup/version-check.ts';
import type { BookMessageType, BookRequest, BookResult } from '../book/book-messages.ts';

/**
 * What a client can ask for, whatever the dialect it speaks. A dialect parses
 * its wire form into a Command and renders the CommandResult back.
 */
export type Command =
  /** Run a backup now; `job` null means the default (first) job. */
  | { readonly kind: 'backup.run'; readonly job: string | null }
  /** The newest complete version of a job, or the one `version` names (its number, `3`, or its id, `notes.json@3`). */
  | { readonly kind: 'backup.revert'; readonly job: string | null; readonly version?: string }
  /** Every job's state, last and next run and versions, and the service's version and uptime. */
  | { readonly kind: 'backup.status' }
  /** A job's versions, newest first, quarantined ones too. */
  | { readonly kind: 'backup.versions'; readonly job: string | null }
  /** Put a version (default: the newest good one) back at the job's source, or at `target`, which must not exist yet. */
  | { readonly kind: 'backup.restore'; readonly job: string | null; readonly version?: string; readonly target?: string }
  /** Re-hash every version against the catalog; damaged ones are quarantined. */
  | { readonly kind: 'backup.verify' }
  /** Apply a retention policy to a job now (`policy` null: the job's own); `dryRun` only reports. */
  | { readonly kind: 'backup.forget'; readonly job: string; readonly policy: RetentionPolicy | null; readonly dryRun: boolean }
  /**
   * Add a job for a file or folder (or change the settings the request names)
   * and schedule it. Its source must exist and lie where the configuration
   * allows: no command skips that check (the operator's own tools use
   * `Host.addConfiguredJob`, which is no command).
   */
  | { readonly kind: 'job.add'; readonly spec: JobChanges }
  /** Pause a job's schedule (`job` null: the default job). */
  | { readonly kind: 'job.pause'; readonly job: string | null }
  /** Resume a paused job's schedule. */
  | { readonly kind: 'job.resume'; readonly job: string | null }
  /** Stop a job for good and mark it removed; with `forget`, delete its versions too. */
  | { readonly kind: 'job.remove'; readonly job: string; readonly forget: boolean }
  /** Close this connection. */
  | { readonly kind: 'connection.exit' }
  /** A password-book request (a seed message is mapped onto its typed equivalent). */
  | { readonly kind: 'book'; readonly request: BookRequest };

export type CommandKind = Command['kind'];

/** The result of each command kind, by kind. */
export interface CommandResults {
  'backup.run': { readonly kind: 'backup.run'; readonly outcome: 'copied' | 'unchanged'; readonly version: BackupVersion };
  'backup.revert': { readonly kind: 'backup.revert'; readonly version: BackupVersion | null };
  'backup.verify': { readonly kind: 'backup.verify'; readonly report: VerifyReport };
  'backup.status': { readonly kind: 'backup.status'; readonly status: ServiceStatus };
  'backup.versions': { readonly kind: 'backup.versions'; readonly jobId: string; readonly versions: readonly VersionListing[] };
  'backup.restore': { readonly kind: 'backup.restore'; readonly restore: RestoreReport };
  'backup.forget': { readonly kind: 'backup.forget'; readonly report: ForgetReport };
  'job.add': { readonly kind: 'job.add'; readonly job: BackupJob };
  'job.pause': { readonly kind: 'job.pause'; readonly jobId: string };
  'job.resume': { readonly kind: 'job.resume'; readonly jobId: string };
  'job.remove': { readonly kind: 'job.remove'; readonly removal: JobRemoval };
  'connection.exit': { readonly kind: 'connection.exit' };
  book: { readonly kind: 'book'; readonly type: BookMessageType; readonly result: BookResult };
}

export type CommandResult = CommandResults[CommandKind];

/** What carries out commands: the host gives the request flow one of these. */
export type CommandHandler = <C extends Command>(command: C, context: CommandContext) => Promise<CommandResults[C['kind']]>;

/** Who sent a command: the request, and the client's address (login throttling counts per address). */
export interface CommandContext {
  readonly requestId: string;
  readonly clientAddress: string;
}
