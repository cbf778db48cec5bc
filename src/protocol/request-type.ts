import { BOOK_MESSAGES, type BookMessageType } from '../book/book-messages.ts';
import type { Command, CommandKind } from './commands.ts';

/**
 * What a request asked for, as operators count it: a command's kind, or for
 * the password book its message type (`entry.get`), or `invalid` for a
 * request that did not parse as any. A bounded set, never a client's words,
 * so it can label a metric or a log line.
 */
export type RequestType = Exclude<CommandKind, 'book'> | BookMessageType | 'invalid';

/**
 * The request type of a command; `invalid` for anything that is not one (an
 * in-process request from plain JavaScript can be any value).
 *
 * @example
 * requestTypeOf({ kind: 'backup.run', job: null }); // 'backup.run'
 * requestTypeOf({ kind: 'book', request: { type: 'users.count' } }); // 'users.count'
 */
export function requestTypeOf(command: Command): RequestType {
  const kind = (command as { readonly kind?: unknown } | null)?.kind;
  if (kind === 'book') {
    const type = (command as { readonly request?: { readonly type?: unknown } | null }).request?.type;
    return typeof type === 'string' && Object.hasOwn(BOOK_MESSAGES, type) ? (type as BookMessageType) : 'invalid';
  }
  return typeof kind === 'string' && Object.hasOwn(COMMAND_KINDS, kind) ? (kind as RequestType) : 'invalid';
}

/** Every command kind but `book` (whose requests count by their message type); the record makes a new kind a compile error until it is listed. */
const COMMAND_KINDS: Record<Exclude<CommandKind, 'book'>, true> = {
  'backup.run': true,
  'backup.revert': true,
  'backup.status': true,
  'backup.versions': true,
  'backup.restore': true,
  'backup.verify': true,
  'backup.forget': true,
  'job.add': true,
  'job.pause': true,
  'job.resume': true,
  'job.remove': true,
  'connection.exit': true,
};
