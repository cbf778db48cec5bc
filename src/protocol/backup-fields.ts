import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, parseInterval } from '../backup/interval.ts';
import path from 'node:path';
import { InvalidFieldError } from '../book/errors.ts';
import { excludeProblem } from '../backup/snapshot-excludes.ts';

/** Longest job reference or path a request may carry (Linux's PATH_MAX). */
export const MAX_PATH_CHARS = 4096;
/** Most exclude globs one request may give. */
const MAX_EXCLUDES = 1000;
/** Longest sequence number written out: past 2^53 a number is no longer exact. */
const SEQ = '[1-9]\\d{0,14}';
const VERSION_REF = new RegExp(`^(?:${SEQ}|[^\\s@]+@${SEQ})$`);

/**
 * The fields of the backup requests, checked the same way whichever way they
 * came in (a text word, a JSON message, `host.request`): each returns the
 * field's value for the command or throws INVALID_FIELD saying what it must be.
 */

/** A job's id or its source's absolute path; `undefined`/null when the request may leave it out (the default job). */
export function checkedJobRef(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return checkedText('job', value, 'a job id or a source path');
}

export function requiredJobRef(value: unknown): string {
  if (value === undefined || value === null) throw new InvalidFieldError("'job' is required: a job id or a source path");
  return checkedText('job', value, 'a job id or a source path');
}

/** A version by its number (`3`, or 3 as a JSON number) or its id (`notes.json@3`). */
export function checkedVersionRef(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !VERSION_REF.test(text)) {
    throw new InvalidFieldError("'version' must be a version's number (3) or its id (notes.json@3)");
  }
  return text;
}

/**
 * An absolute file path. A relative one is refused: the service's working
 * directory (the package folder under `npm start`) means nothing to a client.
 */
export function checkedPath(field: string, value: unknown): string {
  const text = checkedText(field, value, 'a file path');
  if (!path.isAbsolute(text)) throw new InvalidFieldError(`'${field}' must be an absolute path`);
  return text;
}

/** An optional path: left out (or null), the request's default applies. */
export function optionalPath(field: string, value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : checkedPath(field, value);
}

/**
 * An interval: seconds (60, or '60') or a time with a unit ('30s', '5m', '1h'),
 * or undefined when left out (a new job then runs hourly, an existing one keeps its own).
 */
export function optionalInterval(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' && Number.isFinite(value) ? parseInterval(String(value)) : typeof value === 'string' && value.length <= 32 ? parseInterval(value) : undefined;
  if (ms === undefined) {
    throw new InvalidFieldError(`'interval' must be seconds (60) or a time such as 30s, 5m or 1h, from ${MIN_INTERVAL_MS / 1000}s to ${MAX_INTERVAL_MS / 86_400_000}d`);
  }
  return ms;
}

/** A directory job's exclude globs: an array of strings, each a glob `--exclude` would take; undefined when left out. */
export function optionalExcludes(value: unknown): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_EXCLUDES || !value.every((glob) => typeof glob === 'string' && glob.length <= MAX_PATH_CHARS)) {
    throw new InvalidFieldError(`'excludes' must be an array of at most ${MAX_EXCLUDES} globs (strings), such as ["*.log", "cache/"]`);
  }
  const problem = (value as string[]).map(excludeProblem).find((found) => found !== null);
  if (problem) throw new InvalidFieldError(`'excludes' holds a bad glob: ${problem.replace(/^--exclude /, '').slice(0, 300)}`);
  return [...(value as string[])];
}

export function checkedFlag(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new InvalidFieldError(`'${field}' must be true or false`);
  return value;
}

function checkedText(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_PATH_CHARS || value.includes('\0')) {
    throw new InvalidFieldError(`'${field}' must be ${what} of at most ${MAX_PATH_CHARS} characters`);
  }
  return value;
}
