import { readFile } from 'node:fs/promises';
import { systemErrorCode } from '../errors/safekeep-error.ts';

/** A file's text, or null when there is no such file; any other error (EACCES, EIO, …) is thrown. */
export async function readTextIfPresent(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return null;
    throw error;
  }
}
