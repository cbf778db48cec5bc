import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../../src/fs/fsync-directory.ts';

/** Temp files of interrupted writes end with this; the store removes them on start. */
export const STORE_TEMP_SUFFIX = '.safekeep-tmp';

/**
 * Replaces `filePath` with `text` so that a crash at any moment leaves either
 * the old content or the new, never a mix: write a unique temp file beside it
 * (mode 0600), fsync it, rename it over the file, fsync the folder.
 */
export async function writeFileDurably(filePath: string, text: string, tempId: string): Promise<void> {
  const tempPath = `${filePath}.${tempId}${STORE_TEMP_SUFFIX}`;
  try {
    const handle = await open(tempPath, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
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
