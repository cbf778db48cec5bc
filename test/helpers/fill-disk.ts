import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import path from 'node:path';

/** Fills the file system under `dir` (a small tmpfs, see tinyDir) until it refuses one more byte; `<dir>/filler` holds it all. */
export async function fill(dir: string): Promise<void> {
  const handle = await open(path.join(dir, 'filler'), 'w');
  try {
    for (;;) await handle.write(Buffer.alloc(4096, 1));
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'ENOSPC');
  } finally {
    await handle.close().catch(() => undefined);
  }
}
