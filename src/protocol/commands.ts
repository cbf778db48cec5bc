import type { ForgetReport } from '../backup/forget-report.ts';
import type { BackupJob, BackupJobSpec } from '../backup/job.ts';
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
  /** The newest complete version of a job. */
  | { readonly kind: 'backup.revert'; readonly job: string | null }
  /** Re-hash every version against the catalog; damaged ones are quarantined. */
  | { readonly kind: 'backup.verify' }
  /** Apply a retention policy to a job now (`policy` null: the job's own); `dryRun` only reports. */
  | { readonly kind: 'backup.forget'; readonly job: string; readonly policy: RetentionPolicy | null; readonly dryRun: boolean }
  /** Add a job for a file (or change its interval and retention) and schedule it; from embedding apps only. */
  | { readonly kind: 'job.add'; readonly spec: BackupJobSpec }
  /** Pause a job's schedule (`job` null: the default job); from embedding apps only. */
  | { readonly kind: 'job.pause'; readonly job: string | null }
  /** Resume a paused job's schedule; from embedding apps only. */
  | { readonly kind: 'job.resume'; readonly job: string | null }
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
  'backup.forget': { readonly kind: 'backup.forget'; readonly report: ForgetReport };
  'job.add': { readonly kind: 'job.add'; readonly job: BackupJob };
  'job.pause': { readonly kind: 'job.pause'; readonly jobId: string };
  'job.resume': { readonly kind: 'job.resume'; readonly jobId: string };
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
