import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A temp folder for one experiment, removed by `dispose`. The chaos suite runs
 * outside `node --test` too (`npm run chaos`), so it cannot lean on the test
 * helpers' `after` hooks.
 */
export async function scratchDir(label: string): Promise<{ path: string; dispose(): Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), `chaos-${label}-`));
  return { path: directory, dispose: () => rm(directory, { recursive: true, force: true }) };
}
