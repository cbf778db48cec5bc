import { chmod, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';

/**
 * `rm -rf` that also removes trees holding read-only folders (a snapshot
 * keeps its source's folder modes, and a non-root process cannot delete
 * from a 0555 folder): on EACCES it makes the folders writable and tries
 * again. Gone already is fine.
 */
export async function removeTree(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (error) {
    const code = systemErrorCode(error);
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    await makeFoldersWritable(target);
    await rm(target, { recursive: true, force: true });
  }
}

async function makeFoldersWritable(directory: string): Promise<void> {
  await chmod(directory, 0o700).catch(() => undefined);
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  await Promise.all(entries.filter((entry) => entry.isDirectory()).map((entry) => makeFoldersWritable(path.join(directory, entry.name))));
}
