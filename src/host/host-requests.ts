import type { ForgetReport } from '../backup/forget-report.ts';
import type { BackupJob, BackupJobSpec } from '../backup/job.ts';
import type { RetentionPolicy } from '../backup/retention.ts';
import type { BackupVersion } from '../backup/version.ts';
import type { VerifyReport } from '../backup/version-check.ts';
import { SECRET_FIELDS, type BookMessageType, type BookRequest, type BookRequestOf, type BookResults } from '../book/book-messages.ts';
import { Secret } from '../secret/secret.ts';
import type { Command, CommandResult } from '../protocol/commands.ts';

/** Which backup job a request is about: its id or its source's absolute path; omitted, the default (first) job. */
export interface JobRef {
  readonly job?: string;
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
  'backup.run': { params: JobRef; result: { outcome: 'copied' | 'unchanged'; version: BackupVersion } };
  'backup.revert': { params: JobRef; result: { version: BackupVersion | null } };
  'backup.verify': { params: Record<string, never>; result: VerifyReport };
  'backup.forget': { params: ForgetParams; result: ForgetReport };
  'job.add': { params: BackupJobSpec; result: { job: BackupJob } };
  'job.pause': { params: JobRef; result: { jobId: string } };
  'job.resume': { params: JobRef; result: { jobId: string } };
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

/** The command a named request stands for. */
export function commandFor<K extends HostRequestName>(name: K, params: HostRequestParams<K>): Command {
  switch (name) {
    case 'backup.run':
    case 'backup.revert':
    case 'job.pause':
    case 'job.resume':
      return { kind: name, job: (params as JobRef).job ?? null };
    case 'backup.verify':
      return { kind: name };
    case 'backup.forget': {
      const { job, policy, dryRun } = params as ForgetParams;
      return { kind: name, job, policy: policy ?? null, dryRun: dryRun ?? false };
    }
    case 'job.add':
      return { kind: name, spec: params as BackupJobSpec };
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

/** The answer to a named request, from the command's result. */
export function resultOf<K extends HostRequestName>(result: CommandResult): HostRequestResult<K> {
  switch (result.kind) {
    case 'backup.run':
      return { outcome: result.outcome, version: result.version } as HostRequestResult<K>;
    case 'backup.revert':
      return { version: result.version } as HostRequestResult<K>;
    case 'backup.verify':
    case 'backup.forget':
      return result.report as HostRequestResult<K>;
    case 'job.add':
      return { job: result.job } as HostRequestResult<K>;
    case 'job.pause':
    case 'job.resume':
      return { jobId: result.jobId } as HostRequestResult<K>;
    case 'book':
      return result.result as HostRequestResult<K>;
    case 'connection.exit':
      throw new TypeError('connection.exit has no in-process form');
  }
}
