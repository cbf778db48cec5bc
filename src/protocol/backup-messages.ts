import { InvalidFieldError } from '../book/errors.ts';
import { checkedFlag, checkedJobRef, checkedPath, optionalExcludes, optionalInterval, checkedVersionRef, optionalPath, requiredJobRef } from './backup-fields.ts';
import type { Command, CommandResult } from './commands.ts';
import { forgetCommandOf } from './forget-command.ts';

type Body = Readonly<Record<string, unknown>>;

/** `{ job?, version? }` → the optional parts of a command, left out when not given (so commands stay as they were recorded). */
function versionOf(body: Body): { version?: string } {
  const version = checkedVersionRef(body['version']);
  return version === undefined ? {} : { version };
}

/**
 * The JSON dialect's typed backup messages, beside the password book's: each
 * `type`, the fields it takes and the command it stands for. The book's
 * messages are declared in `src/book/book-messages.ts`; a type is one or the
 * other, never both. Each is also a `host.request` of the same name.
 */
export const BACKUP_MESSAGES = {
  'backup.status': {
    summary: "Every job's state, last run (outcome, error, duration) and next run, its versions and their bytes; the service's version and uptime.",
    fields: [] as readonly string[],
    toCommand: (): Command => ({ kind: 'backup.status' }),
  },
  'backup.versions': {
    summary: "A job's versions, newest first: id, seq, time, size, SHA-256, kind, and damaged (why) or null. Quarantined ones are listed too.",
    fields: ['job'] as readonly string[],
    toCommand: (body: Body): Command => ({ kind: 'backup.versions', job: checkedJobRef(body['job']) }),
  },
  'backup.run': {
    summary: 'Back up a job now (default: the default job); answers once the copy is durable, with the version.',
    fields: ['job'] as readonly string[],
    toCommand: (body: Body): Command => ({ kind: 'backup.run', job: checkedJobRef(body['job']) }),
  },
  'backup.revert': {
    summary: "The newest good version of a job, or the one `version` names (3 or 'notes.json@3'); null when there is none.",
    fields: ['job', 'version'] as readonly string[],
    toCommand: (body: Body): Command => ({ kind: 'backup.revert', job: checkedJobRef(body['job']), ...versionOf(body) }),
  },
  'backup.restore': {
    summary: 'Put a version (default: the newest good one) back at the source, or at `target` (which must not exist, inside an --allow directory); the source is first kept as a version.',
    fields: ['job', 'version', 'target'] as readonly string[],
    toCommand: (body: Body): Command => {
      const target = optionalPath('target', body['target']);
      return { kind: 'backup.restore', job: checkedJobRef(body['job']), ...versionOf(body), ...(target === undefined ? {} : { target }) };
    },
  },
  'backup.verify': {
    summary: 'Re-hash every version against the catalog; damaged ones are quarantined (never offered by revert again).',
    fields: [] as readonly string[],
    toCommand: (): Command => ({ kind: 'backup.verify' }),
  },
  'job.add': {
    summary:
      'Add a job for `source` (an existing absolute path inside an --allow directory) every `interval` (seconds, or 30s, 5m, 1h; default 1h), leaving out `excludes` (globs, for a folder); for an existing job, change only the fields given. It is scheduled at once.',
    fields: ['source', 'interval', 'excludes'] as readonly string[],
    toCommand: (body: Body): Command => {
      const intervalMs = optionalInterval(body['interval']);
      const excludes = optionalExcludes(body['excludes']);
      return {
        kind: 'job.add',
        spec: { sourcePath: checkedPath('source', body['source']), ...(intervalMs === undefined ? {} : { intervalMs }), ...(excludes === undefined ? {} : { excludes }) },
      };
    },
  },
  'job.pause': {
    summary: "Pause a job's schedule (a running copy finishes).",
    fields: ['job'] as readonly string[],
    toCommand: (body: Body): Command => ({ kind: 'job.pause', job: checkedJobRef(body['job']) }),
  },
  'job.resume': {
    summary: "Resume a paused job's schedule.",
    fields: ['job'] as readonly string[],
    toCommand: (body: Body): Command => ({ kind: 'job.resume', job: checkedJobRef(body['job']) }),
  },
  'job.remove': {
    summary: 'Stop a job for good (a running copy is abandoned); its versions are kept unless `forget` is true.',
    fields: ['job', 'forget'] as readonly string[],
    toCommand: (body: Body): Command => ({ kind: 'job.remove', job: requiredJobRef(body['job']), forget: checkedFlag('forget', body['forget']) }),
  },
  'backup.forget': {
    summary: "Apply a retention policy to a job now: the given one, else the job's; with dryRun, only report what it would remove.",
    fields: ['job', 'policy', 'dryRun'] as readonly string[],
    toCommand: (body: Readonly<Record<string, unknown>>): Command => forgetCommandOf(body),
  },
} as const;

export type BackupMessageType = keyof typeof BACKUP_MESSAGES;

export function isBackupMessageType(type: unknown): type is BackupMessageType {
  return typeof type === 'string' && Object.hasOwn(BACKUP_MESSAGES, type);
}

/** The command a typed backup message stands for; unknown fields are refused, as the book's are. */
export function parseBackupMessage(body: Body, ignoredFields: readonly string[] = []): Command {
  const type = body['type'];
  if (!isBackupMessageType(type)) throw new TypeError(`'${String(type)}' is not a backup message`);
  const message = BACKUP_MESSAGES[type];
  for (const key of Object.keys(body)) {
    if (key !== 'type' && !ignoredFields.includes(key) && !message.fields.includes(key)) {
      throw new InvalidFieldError(`'${type}' has no field '${key.length <= 64 ? key : `${key.slice(0, 64)}…`}'`);
    }
  }
  return message.toCommand(body);
}

/**
 * The `type` and `result` of a typed reply to a backup command (the same
 * result `host.request` answers), or null for a result that is not one.
 */
export function backupReply(result: CommandResult): { readonly type: BackupMessageType; readonly result: unknown } | null {
  switch (result.kind) {
    case 'backup.status':
      return { type: result.kind, result: result.status };
    case 'backup.versions':
      return { type: result.kind, result: { jobId: result.jobId, versions: result.versions } };
    case 'backup.run':
      return { type: result.kind, result: { outcome: result.outcome, version: result.version } };
    case 'backup.revert':
      return { type: result.kind, result: { version: result.version } };
    case 'backup.restore':
      return { type: result.kind, result: result.restore };
    case 'backup.verify':
      return { type: result.kind, result: result.report };
    case 'job.add':
      return { type: result.kind, result: { job: result.job } };
    case 'job.pause':
    case 'job.resume':
      return { type: result.kind, result: { jobId: result.jobId } };
    case 'job.remove':
      return { type: result.kind, result: result.removal };
    case 'backup.forget':
      return { type: result.kind, result: result.report };
    default:
      return null;
  }
}
