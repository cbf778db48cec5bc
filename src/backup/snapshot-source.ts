import { lstatSync, readdirSync, type BigIntStats, type Dirent } from 'node:fs';
import { readlink, stat } from 'node:fs/promises';
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
  const rootStats = await lstatOrFollow(root);
  const entries: SourceEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const pending = [''];
  for (let relativeDir = pending.pop(); relativeDir !== undefined; relativeDir = pending.pop()) {
    // Each folder is read and its entries lstat'ed synchronously (a tenth of the cost of a promise
    // each); the event loop gets a turn between folders, so only the largest folder bounds the pause.
    if (relativeDir !== '') await new Promise((resolve) => setImmediate(resolve));
    const dirents = readFolderIfPresent(path.join(root, relativeDir), relativeDir === '');
    for (const dirent of dirents) {
      const relative = relativeDir === '' ? dirent.name : `${relativeDir}/${dirent.name}`;
      const absolute = path.join(root, relative);
      const stats = lstatIfPresent(absolute);
      if (stats === null || excluded(relative, stats.isDirectory())) continue;
      if (stats.isFile()) entries.push({ type: 'file', path: relative, stats });
      else if (stats.isDirectory()) {
        entries.push({ type: 'directory', path: relative, stats });
        pending.push(relative);
      } else if (stats.isSymbolicLink()) entries.push({ type: 'symlink', path: relative, stats, target: await readlink(absolute) });
      else skipped.push({ path: relative, kind: specialKind(stats) });
    }
  }
  return { root: rootStats, entries: sortedByPath(entries), skipped: sortedByPath(skipped) };
}

/** Sorted as `comparePaths` orders them. */
function sortedByPath<T extends { readonly path: string }>(items: readonly T[]): T[] {
  // Same order as comparePaths, whose keys are made once per item here rather than twice per comparison.
  const keyed = items.map((item) => ({ item, key: pathSortKey(item.path) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ item }) => item);
}

/** A path with its separators below every other character, so plain string order puts a folder right before what it holds. */
function pathSortKey(relativePath: string): string {
  return relativePath.replaceAll('/', '\u0000');
}

/** The root as `--source` names it (a link to a folder is followed there, and only there). */
async function lstatOrFollow(root: string): Promise<BigIntStats> {
  return stat(root, { bigint: true });
}

/** Gone since the readdir (a temp file deleted): it is not part of this snapshot. */
function lstatIfPresent(absolute: string): BigIntStats | null {
  try {
    return lstatSync(absolute, { bigint: true });
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Orders paths so a folder comes right before what it holds (`a`, `a/b`, `a-c`), by code unit elsewhere. */
export function comparePaths(a: string, b: string): number {
  const left = pathSortKey(a);
  const right = pathSortKey(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A folder's entries; none when a subfolder was deleted since its parent was read (the root must be there). */
function readFolderIfPresent(folder: string, isRoot: boolean): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if (!isRoot && systemErrorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

function specialKind(stats: BigIntStats): SkippedEntry['kind'] {
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isCharacterDevice()) return 'character-device';
  return 'unknown';
}
