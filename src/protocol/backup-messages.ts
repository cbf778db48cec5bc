import { InvalidFieldError } from '../book/errors.ts';
import type { Command, CommandResult } from './commands.ts';
import { forgetCommandOf } from './forget-command.ts';

/**
 * The JSON dialect's typed backup messages, beside the password book's: each
 * `type`, the fields it takes and the command it stands for. The book's
 * messages are declared in `src/book/book-messages.ts`; a type is one or the
 * other, never both.
 */
export const BACKUP_MESSAGES = {
  'backup.verify': {
    summary: 'Re-hash every version against the catalog; damaged ones are quarantined (never offered by revert again).',
    fields: [] as readonly string[],
    toCommand: (): Command => ({ kind: 'backup.verify' }),
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
export function parseBackupMessage(body: Readonly<Record<string, unknown>>, ignoredFields: readonly string[] = []): Command {
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

/** The `type` and `result` of a typed reply to a backup command, or null for a result that is not one. */
export function backupReply(result: CommandResult): { readonly type: BackupMessageType; readonly result: unknown } | null {
  switch (result.kind) {
    case 'backup.verify':
      return { type: 'backup.verify', result: result.report };
    case 'backup.forget':
      return { type: 'backup.forget', result: result.report };
    default:
      return null;
  }
}
