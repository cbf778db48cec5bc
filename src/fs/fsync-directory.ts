import { open } from 'node:fs/promises';
import { systemErrorCode } from '../errors/safekeep-error.ts';

/**
 * Makes a directory's entries (a rename, a new or removed file) durable.
 * Without it, a power cut can undo a rename that already returned.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; there is nothing more to do there.
    if (systemErrorCode(error) !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}
