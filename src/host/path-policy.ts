import path from 'node:path';
import type { PathLookup } from '../backup/path-lookup.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import { PathNotAllowedError } from './errors.ts';

/** Longest piece of a requested path echoed back in an error. */
const MAX_ECHO_CHARS = 256;

/**
 * Which paths a request may name (`add`'s source, `restore`'s target): those
 * that really lead (after `..` and symlinks, see `lookUpPath`) inside one of
 * the allowed directories (`--allow`), and never into the data or backup
 * directory. With none allowed, none may be named. Paths the configuration
 * itself gives (`--source`, HostOptions `jobs`) are not checked here: they are
 * allowed by being configured.
 */
export class PathPolicy {
  readonly #allowed: readonly string[];
  readonly #forbidden: readonly string[];
  readonly #files: Pick<BackupFiles, 'lookUpPath'>;

  constructor(deps: { allowed: readonly string[]; forbidden: readonly string[]; files: Pick<BackupFiles, 'lookUpPath'> }) {
    this.#allowed = deps.allowed;
    this.#forbidden = deps.forbidden;
    this.#files = deps.files;
  }

  /** Where `requested` leads, or PATH_NOT_ALLOWED; the message quotes only what the client sent. */
  async check(requested: string): Promise<PathLookup> {
    const refused = (why: string) => new PathNotAllowedError(`'${echoPath(requested)}' ${why}`);
    if (this.#allowed.length === 0) throw refused('is not allowed: no directory is open to requests (start safekeep with --allow DIR)');
    const lookup = await this.#files.lookUpPath(requested);
    // The roots are looked up each time: one may be a link, or be created after the start.
    const [allowed, forbidden] = await Promise.all([this.#realPaths(this.#allowed), this.#realPaths(this.#forbidden)]);
    // Nor a folder that holds it: a directory job there would back up its own backups.
    if (forbidden.some((root) => isInside(lookup.real, root) || isInside(root, lookup.real))) throw refused("is not allowed: it leads into safekeep's own data");
    if (!allowed.some((root) => isInside(lookup.real, root))) throw refused('is not allowed: it does not lead inside a directory given with --allow');
    return lookup;
  }

  async #realPaths(roots: readonly string[]): Promise<string[]> {
    return Promise.all(roots.map(async (root) => (await this.#files.lookUpPath(root)).real));
  }
}

/** Whether `candidate` is `root` or below it (both absolute and real). */
export function isInside(candidate: string, root: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  return candidate.startsWith(prefix);
}

/** A requested path as an error may quote it: cut short, so a huge one is not echoed whole. */
export function echoPath(text: string): string {
  return text.length > MAX_ECHO_CHARS ? `${text.slice(0, MAX_ECHO_CHARS)}…` : text;
}
