import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';

/**
 * `mkdir -p` that always ends. Node's own `mkdir(dir, { recursive: true })`
 * loops for ever where the parent exists but refuses new entries with ENOENT
 * (`/proc/x` on Linux): here each missing level is created once, and a second
 * ENOENT is thrown. Folders made are given `mode`.
 */
export async function makeDirectory(dir: string, mode: number): Promise<void> {
  try {
    await mkdir(dir, { mode });
  } catch (error) {
    const code = systemErrorCode(error);
    if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await makeDirectory(parent, mode);
    await mkdir(dir, { mode }).catch((again: unknown) => {
      if (systemErrorCode(again) !== 'EEXIST') throw again;
    });
  }
}
