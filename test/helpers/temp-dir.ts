import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** A fresh directory under the system temp folder, removed when the test file ends. */
export async function tempDir(label = 'safekeep-test'): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), `${label}-`));
  after(() => rm(directory, { recursive: true, force: true }));
  return directory;
}
