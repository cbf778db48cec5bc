import type { BackupVersion } from '../backup/version.ts';

/**
 * What a client can ask for, whatever the dialect it speaks. A dialect parses
 * its wire form into a Command and renders the CommandResult back.
 */
export type Command =
  /** Run a backup now; `job` null means the default (first) job. */
  | { readonly kind: 'backup.run'; readonly job: string | null }
  /** The newest complete version of a job. */
  | { readonly kind: 'backup.revert'; readonly job: string | null }
  /** Close this connection. */
  | { readonly kind: 'connection.exit' };

export type CommandKind = Command['kind'];

/** The result of each command kind, by kind. */
export interface CommandResults {
  'backup.run': { readonly kind: 'backup.run'; readonly outcome: 'copied' | 'unchanged'; readonly version: BackupVersion };
  'backup.revert': { readonly kind: 'backup.revert'; readonly version: BackupVersion | null };
  'connection.exit': { readonly kind: 'connection.exit' };
}

export type CommandResult = CommandResults[CommandKind];

/** What carries out commands: the host gives the request flow one of these. */
export type CommandHandler = <C extends Command>(command: C, context: { readonly requestId: string }) => Promise<CommandResults[C['kind']]>;
