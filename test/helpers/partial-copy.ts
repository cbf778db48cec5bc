import { readdir } from 'node:fs/promises';
import { TEMP_FILE_PREFIX } from '../../src/backup/version-name.ts';

/** Names of in-progress copies in `directory` (none if it does not exist). */
export async function partialCopies(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(TEMP_FILE_PREFIX));
}

/** Waits until a copy is in progress in `directory`: a condition checked every few ms, for at most 30 s. */
export async function partialCopyAppears(directory: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [partial] = await partialCopies(directory);
    if (partial) return partial;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no copy started in ${directory}`);
}
