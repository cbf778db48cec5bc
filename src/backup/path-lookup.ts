import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where a path really leads, as far as the disk can say now. Plain data, so a recording can hold it. */
export interface PathLookup {
  /** Absolute, with `..` resolved and every symlink on the way followed (for a path that does not exist yet: its nearest existing ancestor's). */
  readonly real: string;
  /** Something (a file, a folder, a link, even a dangling one) is at the path. */
  readonly exists: boolean;
  /** The folder `real` would be in exists and is a folder. */
  readonly folderExists: boolean;
}

/** Links followed at most, as the kernel's own limit (ELOOP) does. */
const MAX_LINKS = 40;

/**
 * Resolves a requested path the way the file system will when it is used: a
 * path that exists through `realpath`; one that does not through its nearest
 * existing ancestor's real path plus the rest; a dangling symlink through
 * where it points. A request is then checked against `real` and `real` is
 * what gets written, so a `..` or a link cannot lead the write elsewhere.
 *
 * @example
 * const { real, exists } = await lookUpPath('/srv/allowed/../etc/passwd'); // real: '/srv/etc/passwd'
 */
export async function lookUpPath(requested: string): Promise<PathLookup> {
  let absolute = path.resolve(requested);
  let exists = false;
  for (let links = 0; links < MAX_LINKS; links++) {
    const entry = await lstat(absolute).catch(() => null);
    if (entry === null) break;
    exists = true;
    const real = await realpath(absolute).catch(() => null);
    if (real !== null) return { real, exists, folderExists: await isFolder(path.dirname(real)) };
    if (!entry.isSymbolicLink()) break;
    // A dangling link: where it points is where a write would land.
    absolute = path.resolve(await realAncestor(path.dirname(absolute)), await readlink(absolute));
  }
  const real = await realAncestor(absolute);
  return { real, exists, folderExists: await isFolder(path.dirname(real)) };
}

/** `absolute` with its nearest existing ancestor replaced by that ancestor's real path. */
async function realAncestor(absolute: string): Promise<string> {
  const rest: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    const real = await realpath(current).catch(() => null);
    if (real !== null) return path.join(real, ...rest.reverse());
    if (path.dirname(current) === current) return absolute;
    rest.push(path.basename(current));
  }
}

async function isFolder(folder: string): Promise<boolean> {
  return stat(folder).then((stats) => stats.isDirectory(), () => false);
}
