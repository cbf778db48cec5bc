import { InvalidFieldError } from '../book/errors.ts';
import { checkedJobRef, checkedPath, checkedVersionRef, optionalInterval, requiredJobRef } from './backup-fields.ts';
import type { Command } from './commands.ts';
import { forgetFromWords } from './forget-words.ts';

/**
 * The text dialect's words and what each stands for, or null for a line that
 * is no request (answered with the seed's `Invalid request command` reply).
 * Words are matched case-insensitively; arguments are split at whitespace,
 * except the paths of `add` and `restore`, which run to the end of the line
 * (so they may hold spaces):
 *
 *   status · versions [JOB] · backup [JOB] · revert [JOB [VERSION]]
 *   restore JOB [VERSION|newest [TARGET PATH…]] · add PATH… [INTERVAL]
 *   pause [JOB] · resume [JOB] · remove JOB [forget] · verify · exit
 *   forget JOB [--keep-… N] [--dry-run]   (see `forget-words.ts`)
 *
 * A malformed field (a version that is not a number or id, an interval out
 * of range, a relative path) throws INVALID_FIELD, with what it must be, and
 * so does a known word without the argument it needs (`remove`, `restore`,
 * `forget` without a job; `add` without a path).
 */
export function textCommand(line: string): Command | null {
  const text = line.trim();
  const [verb = '', ...args] = text.split(/\s+/);
  const arg = (index: number): string | undefined => args[index];
  switch (verb.toLowerCase()) {
    case 'backup':
      return args.length <= 1 ? { kind: 'backup.run', job: checkedJobRef(arg(0)) } : null;
    case 'revert': {
      if (args.length > 2 || !looksLikeVersion(arg(1))) return null;
      const version = checkedVersionRef(arg(1));
      return { kind: 'backup.revert', job: checkedJobRef(arg(0)), ...(version === undefined ? {} : { version }) };
    }
    case 'exit':
      return args.length === 0 ? { kind: 'connection.exit' } : null;
    case 'verify':
      return args.length === 0 ? { kind: 'backup.verify' } : null;
    case 'status':
      return args.length === 0 ? { kind: 'backup.status' } : null;
    case 'versions':
      return args.length <= 1 ? { kind: 'backup.versions', job: checkedJobRef(arg(0)) } : null;
    case 'pause':
    case 'resume':
      return args.length <= 1 ? { kind: verb.toLowerCase() === 'pause' ? 'job.pause' : 'job.resume', job: checkedJobRef(arg(0)) } : null;
    case 'remove':
      if (args.length === 0) throw missing('remove JOB [forget]', 'a job');
      if (args.length === 1) return { kind: 'job.remove', job: requiredJobRef(arg(0)), forget: false };
      return args.length === 2 && arg(1)?.toLowerCase() === 'forget' ? { kind: 'job.remove', job: requiredJobRef(arg(0)), forget: true } : null;
    case 'restore':
      if (args.length === 0) throw missing('restore JOB [VERSION|newest [TARGET]]', 'a job');
      return restoreCommand(text, args);
    case 'add':
      if (args.length === 0) throw missing('add PATH [INTERVAL]', 'a path');
      return addCommand(text);
    case 'forget':
      if (args.length === 0) throw missing('forget JOB [--keep-last N …] [--dry-run]', 'a job');
      return forgetFromWords(args);
    default:
      return null;
  }
}

/** `restore JOB [VERSION|newest [TARGET…]]`: the target is the rest of the line, spaces and all. */
function restoreCommand(text: string, args: readonly string[]): Command | null {
  const job = requiredJobRef(args[0]);
  const versionWord = args[1];
  if (versionWord !== undefined && versionWord.toLowerCase() !== 'newest' && !looksLikeVersion(versionWord)) return null;
  const version = versionWord === undefined || versionWord.toLowerCase() === 'newest' ? undefined : checkedVersionRef(versionWord);
  const target = args.length > 2 ? checkedPath('target', restOfLine(text, 3)) : undefined;
  return { kind: 'backup.restore', job, ...(version === undefined ? {} : { version }), ...(target === undefined ? {} : { target }) };
}

/**
 * `add PATH… [INTERVAL]`: a last word in an interval's form (digits, maybe a
 * unit: `90`, `5m`, `10y`) is the interval, and one out of range is refused
 * rather than read as part of the path (`/x/todo.md 10y` is no file anyone
 * meant); the path is everything before it. Left out, an existing job keeps
 * its interval.
 */
function addCommand(text: string): Command {
  const rest = restOfLine(text, 1);
  const lastWord = /\s(\S+)$/.exec(rest);
  const interval = lastWord?.[1] !== undefined && INTERVAL_FORM.test(lastWord[1]) ? lastWord[1] : undefined;
  const sourcePath = interval === undefined ? rest : rest.slice(0, rest.length - (lastWord?.[0].length ?? 0)).trimEnd();
  const intervalMs = optionalInterval(interval);
  return { kind: 'job.add', spec: { sourcePath: checkedPath('source', sourcePath), ...(intervalMs === undefined ? {} : { intervalMs }) } };
}

/** A word in an interval's form, in range or not: digits (a decimal point allowed) and at most a two-letter unit. */
const INTERVAL_FORM = /^\d+(?:\.\d+)?[a-z]{0,2}$/i;

/** A known word without an argument it needs: say which, and the word's form. */
function missing(form: string, what: string): InvalidFieldError {
  return new InvalidFieldError(`'${form.split(' ')[0]}' needs ${what}: ${form}`);
}

/**
 * Whether a word is in a version's form (`3`, `notes.json@3`): one that is not
 * makes the line no request at all (the seed's invalid reply, as `revert a b`
 * always got); one in the form but out of range (`0`, 20 digits) is an invalid field.
 */
function looksLikeVersion(word: string | undefined): boolean {
  return word === undefined || /^(?:\S+@)?\d+$/.test(word);
}

/** The line from its `words`-th whitespace-separated word on, as typed. */
function restOfLine(text: string, words: number): string {
  const match = new RegExp(`^(?:\\S+\\s+){${words}}`).exec(text);
  return match ? text.slice(match[0].length) : '';
}
