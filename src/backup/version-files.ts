import { lstat, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { removeTree } from '../fs/remove-tree.ts';
import { manifestPathOf } from './snapshot-manifest.ts';
import { TEMP_FILE_PREFIX } from './version-name.ts';

/**
 * Removes the temp files of copies, and the temp folders and manifests of
 * snapshots, that a crash interrupted. They were never registered, so
 * nothing refers to them. Returns how many were removed.
 */
export async function removeLeftoverTempFiles(directory: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return 0;
    throw error;
  }
  const leftovers = names.filter((name) => name.startsWith(TEMP_FILE_PREFIX));
  await Promise.all(leftovers.map((name) => removeTree(path.join(directory, name))));
  if (leftovers.length > 0) await fsyncDirectory(directory);
  return leftovers.length;
}

/**
 * The names in a job's folder other than temp files (the version files, and
 * anything a user put there); none when the folder does not exist yet.
 */
export async function listVersionFiles(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).filter((name) => !name.startsWith(TEMP_FILE_PREFIX)).sort();
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Deletes a version once the catalog no longer lists it; gone already is
 * fine. A snapshot loses its manifest first and then its tree, so a crash
 * part-way leaves a folder without a manifest, which the next start removes
 * as an orphan. Hard links make removing one snapshot safe for the others.
 */
export async function removeVersionFile(filePath: string): Promise<void> {
  const stats = await lstat(filePath).catch(() => null);
  if (stats?.isDirectory()) {
    await unlinkIfPresent(manifestPathOf(filePath));
    await removeTree(filePath);
  } else {
    await unlinkIfPresent(filePath);
  }
  await fsyncDirectory(path.dirname(filePath)).catch((error: unknown) => {
    if (systemErrorCode(error) !== 'ENOENT') throw error;
  });
}

/** Whether a registered version's file is still there with the size it was registered with. */
export async function versionFileIntact(filePath: string, size: number): Promise<boolean> {
  try {
    const stats = await stat(filePath);
    return stats.isFile() && stats.size === size;
  } catch {
    return false;
  }
}

async function unlinkIfPresent(filePath: string): Promise<void> {
  try {
    await unlink(filePath);
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw error;
  }
}
