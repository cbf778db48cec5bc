import type { BigIntStats, Dirent } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import type { ExcludeMatcher } from './snapshot-excludes.ts';
import type { SkippedEntry } from './snapshot-manifest.ts';

/** One entry of a source tree as the walk found it. */
export type SourceEntry =
  | { readonly type: 'file'; readonly path: string; readonly stats: BigIntStats }
  | { readonly type: 'directory'; readonly path: string; readonly stats: BigIntStats }
  | { readonly type: 'symlink'; readonly path: string; readonly stats: BigIntStats; readonly target: string };

export interface SourceTree {
  /** The root folder itself. */
  readonly root: BigIntStats;
  /** Every entry below the root, parents before children, sorted by path. */
  readonly entries: readonly SourceEntry[];
  readonly skipped: readonly SkippedEntry[];
}

/**
 * Walks a source folder with `lstat` (links are never followed, so a link to
 * `/` is one entry), leaving out what `excluded` matches and skipping what is
 * not a file, folder or link. Reads no file contents.
 */
export async function walkSource(root: string, excluded: ExcludeMatcher): Promise<SourceTree> {
  const rootStats = await lstat(root, { bigint: true });
  const entries: SourceEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const visit = async (relativeDir: string): Promise<void> => {
    const dirents = await readdir(path.join(root, relativeDir), { withFileTypes: true });
    const found = await Promise.all(
      dirents.map(async (dirent: Dirent) => {
        const relative = relativeDir === '' ? dirent.name : `${relativeDir}/${dirent.name}`;
        const absolute = path.join(root, relative);
        // Gone since the readdir (a temp file deleted): it is not part of this snapshot.
        const stats = await lstat(absolute, { bigint: true }).catch((error: unknown) => {
          if (systemErrorCode(error) === 'ENOENT') return null;
          throw error;
        });
        if (stats === null || excluded(relative, stats.isDirectory())) return null;
        if (stats.isFile()) return { type: 'file', path: relative, stats } as const;
        if (stats.isDirectory()) return { type: 'directory', path: relative, stats } as const;
        if (stats.isSymbolicLink()) return { type: 'symlink', path: relative, stats, target: await readlink(absolute) } as const;
        skipped.push({ path: relative, kind: specialKind(stats) });
        return null;
      }),
    );
    for (const entry of found) if (entry) entries.push(entry);
    await Promise.all(found.map((entry) => (entry?.type === 'directory' ? visit(entry.path) : undefined)));
  };
  await visit('');
  entries.sort((a, b) => comparePaths(a.path, b.path));
  skipped.sort((a, b) => comparePaths(a.path, b.path));
  return { root: rootStats, entries, skipped };
}

/** Orders paths so a folder comes right before what it holds (`a`, `a/b`, `a-c`), by code unit elsewhere. */
export function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const x = left[index] as string;
    const y = right[index] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

function specialKind(stats: BigIntStats): SkippedEntry['kind'] {
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isCharacterDevice()) return 'character-device';
  return 'unknown';
}
