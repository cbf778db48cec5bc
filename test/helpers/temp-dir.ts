import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

const made: string[] = [];

// Registered once, at the top level: it runs after every test of the file, wherever tempDir was called
// (an `after` registered inside a `before` hook would run as soon as that hook ends).
after(() => Promise.all(made.map((directory) => rm(directory, { recursive: true, force: true }))));

/** A fresh directory under the system temp folder, removed when the test file ends. */
export async function tempDir(label = 'safekeep-test'): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), `${label}-`));
  made.push(directory);
  return directory;
}
