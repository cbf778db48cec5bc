import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from './fsync-directory.ts';

/** Temp files of interrupted writes end with this; their owners (the store, the service key) remove them at start. */
export const DURABLE_TEMP_SUFFIX = '.safekeep-tmp';

/** The temp file `writeFileDurably` uses for `filePath` and `tempId`. */
export function durableTempPath(filePath: string, tempId: string): string {
  return `${filePath}.${tempId}${DURABLE_TEMP_SUFFIX}`;
}

/**
 * Replaces `filePath` with `data` so that a crash at any moment leaves either
 * the old content or the new, never a mix and never an empty file: write a
 * unique temp file beside it (mode 0600: stores and keys hold secrets), fsync
 * it, rename it over the file, fsync the folder. A failed write removes its
 * temp file; one killed mid-way leaves it, named with DURABLE_TEMP_SUFFIX.
 */
export async function writeFileDurably(filePath: string, data: string | Uint8Array, tempId: string): Promise<void> {
  const tempPath = durableTempPath(filePath, tempId);
  try {
    const handle = await open(tempPath, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, filePath);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(path.dirname(filePath));
}
