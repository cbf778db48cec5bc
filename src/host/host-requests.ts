import type { ForgetReport } from '../backup/forget-report.ts';
import type { BackupJob, BackupJobSpec } from '../backup/job.ts';
import type { JobRemoval, RestoreReport, ServiceStatus, VersionListing } from '../backup/job-report.ts';
import type { RetentionPolicy } from '../backup/retention.ts';
import type { BackupVersion } from '../backup/version.ts';
import type { VerifyReport } from '../backup/version-check.ts';
import { SECRET_FIELDS, type BookMessageType, type BookRequest, type BookRequestOf, type BookResults } from '../book/book-messages.ts';
import { Secret } from '../secret/secret.ts';
import { backupReply } from '../protocol/backup-messages.ts';
import type { Command, CommandResult } from '../protocol/commands.ts';

/** Which backup job a request is about: its id or its source's absolute path; omitted, the default (first) job. */
export interface JobRef {
  readonly job?: string;
}

/** A version of a job: its number (3) or its id (`notes.json@3`); omitted, the newest good one. */
export interface VersionRef extends JobRef {
  readonly version?: string | number;
}

/**
 * A job as the socket's `add` takes it: an existing absolute source, an interval in seconds (60) or
 * with a unit ('5m'), and a folder's exclude globs. For a new job, left out: hourly, nothing excluded;
 * for an existing one, what is left out stays as it is.
 */
export interface JobAddition {
  readonly source: string;
  readonly interval?: string | number;
  readonly excludes?: readonly string[];
}

/** Which job to apply a retention policy to (required: forgetting never falls to a default job), the policy instead of the job's own, and whether only to report. */
export interface ForgetParams {
  readonly job: string;
  readonly policy?: RetentionPolicy;
  readonly dryRun?: boolean;
}

/**
 * Everything an embedding app can ask with `host.request(name, params)`, and
 * what each answers: the backup requests, and every password-book message
 * (its fields, secrets as `Secret`, without `type`).
 */
export type HostRequests = {
  'backup.status': { params: Record<string, never>; result: ServiceStatus };
  'backup.versions': { params: JobRef; result: { jobId: string; versions: readonly VersionListing[] } };
  'backup.run': { params: JobRef; result: { outcome: 'copied' | 'unchanged'; version: BackupVersion } };
  'backup.revert': { params: VersionRef; result: { version: BackupVersion | null } };
  'backup.restore': { params: VersionRef & { readonly target?: string }; result: RestoreReport };
  'backup.verify': { params: Record<string, never>; result: VerifyReport };
  'backup.forget': { params: ForgetParams; result: ForgetReport };
  'job.add': { params: BackupJobSpec | JobAddition; result: { job: BackupJob } };
  'job.pause': { params: JobRef; result: { jobId: string } };
  'job.resume': { params: JobRef; result: { jobId: string } };
  'job.remove': { params: { readonly job: string; readonly forget?: boolean }; result: JobRemoval };
} & { [T in BookMessageType]: { params: Omit<BookRequestOf<T>, 'type'>; result: BookResults[T] } };

export type HostRequestName = keyof HostRequests;
export type HostRequestParams<K extends HostRequestName> = HostRequests[K]['params'];
export type HostRequestResult<K extends HostRequestName> = HostRequests[K]['result'];

export interface RequestOptions {
  /** Reject with `RequestTimeoutError` after this long on the host's clock; default the host's request time limit. */
  readonly timeoutMs?: number;
  /** Who is asking, for the password book's per-client throttle; default `in-process`. */
  readonly clientAddress?: string;
}

/**
 * The command a named request stands for. Backup fields are passed on as
 * given: `checkCommand` checks them, as it checks any command that comes in
 * as data, so a wrong one rejects the request rather than throwing here.
 */
export function commandFor<K extends HostRequestName>(name: K, params: HostRequestParams<K>): Command {
  const fields = (params ?? {}) as Record<string, unknown>;
  switch (name) {
    case 'backup.run':
    case 'backup.versions':
    case 'job.pause':
    case 'job.resume':
      return { kind: name, job: (fields['job'] as string | undefined) ?? null };
    case 'backup.revert':
    case 'backup.restore':
      return { ...fields, kind: name, job: (fields['job'] as string | undefined) ?? null } as Command;
    case 'backup.verify':
    case 'backup.status':
      return { kind: name };
    case 'backup.forget': {
      const { job, policy, dryRun } = params as ForgetParams;
      return { kind: name, job, policy: policy ?? null, dryRun: dryRun ?? false };
    }
    case 'job.add':
      return { kind: name, spec: params as BackupJobSpec };
    case 'job.remove':
      return { ...fields, kind: name } as Command;
    default:
      // Every other name is a password-book message type. A secret given as a plain string (from JavaScript) is sealed before it is on the bus.
      return { kind: 'book', request: { ...sealSecretFields(params as Record<string, unknown>), type: name } as BookRequest };
  }
}

function sealSecretFields(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params ?? {}).map(([field, value]) => [field, SECRET_FIELDS.has(field) && typeof value === 'string' ? new Secret(value) : value]),
  );
}

/** The answer to a named request, from the command's result: the same `result` a JSON client gets. */
export function resultOf<K extends HostRequestName>(result: CommandResult): HostRequestResult<K> {
  if (result.kind === 'book') return result.result as HostRequestResult<K>;
  const reply = backupReply(result);
  if (!reply) throw new TypeError(`${result.kind} has no in-process form`);
  return reply.result as HostRequestResult<K>;
}
